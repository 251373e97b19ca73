import { isIP } from 'node:net';

/**
 * The probe's ways out (docs/network.md): named SOCKS5 proxies (SMTP_PROXIES), which MX hosts go
 * through which (SMTP_ROUTES), each with its own identity, and the local addresses direct probes
 * bind to (SMTP_SOURCE_ADDRESSES). Parsed here, pure, so that src/config/env.ts can name the
 * variable of a bad value and the engine reads typed settings.
 */

export interface ProxyConfig {
  name: string;
  host: string;
  port: number;
  userId?: string;
  password?: string;
  /** Open sessions through this proxy at once, across the fleet (default SMTP_PROXY_MAX_CONNECTIONS). */
  maxConnections?: number;
}

export type RouteMatch =
  /** The MX host is this name or ends with `.suffix` (a leading dot is optional). */
  | { kind: 'mx'; suffix: string }
  /** The domain's provider or gateway id from providers.ts (`google`, `microsoft`, `mimecast`...). */
  | { kind: 'provider'; id: string }
  | { kind: 'default' };

export interface RouteConfig {
  match: RouteMatch;
  /** A proxy name, or `direct`. */
  via: string;
  heloName?: string;
  mailFrom?: string;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

/**
 * `name=socks5://user:pass@host:port`, several separated by commas or whitespace. User and
 * password are percent-decoded; `?max_connections=N` sets the proxy's own session cap.
 */
export function parseProxies(text: string): ProxyConfig[] {
  const entries = text
    .split(/[,\s]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`"${entry}" is not name=socks5://host:port`);
    const name = entry.slice(0, eq);
    if (!NAME.test(name) || name.toLowerCase() === 'direct')
      throw new Error(
        `"${name}" is not a usable proxy name (letters, digits, - and _; not "direct")`,
      );
    if (seen.has(name)) throw new Error(`proxy "${name}" is defined twice`);
    seen.add(name);
    let url: URL;
    try {
      url = new URL(entry.slice(eq + 1));
    } catch {
      throw new Error(`proxy "${name}": "${entry.slice(eq + 1)}" is not a URL`);
    }
    if (url.protocol !== 'socks5:' && url.protocol !== 'socks5h:')
      throw new Error(`proxy "${name}": only socks5:// proxies are supported`);
    const port = Number(url.port || 1080);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw new Error(`proxy "${name}": no host`);
    const proxy: ProxyConfig = { name, host, port };
    if (url.username) proxy.userId = decodeURIComponent(url.username);
    if (url.password) proxy.password = decodeURIComponent(url.password);
    const max = url.searchParams.get('max_connections');
    if (max !== null) {
      const n = Number(max);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`proxy "${name}": max_connections must be a whole number of at least 1`);
      proxy.maxConnections = n;
    }
    return proxy;
  });
}

/**
 * Routes separated by `;` (or new lines), first match wins:
 * `mx:.outlook.com -> eu1 helo=probe-eu1.example.com from=verify@example.com`,
 * `provider:google -> us1`, `default -> direct`. `helo=` and `from=` are optional (the route
 * then uses SMTP_HELO_NAME / SMTP_MAIL_FROM).
 */
export function parseRoutes(text: string, proxyNames: ReadonlySet<string>): RouteConfig[] {
  const entries = text
    .split(/[;\n]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const m = /^(\S+)\s*->\s*(\S+)((?:\s+\S+)*)$/.exec(entry);
    if (!m) throw new Error(`"${entry}" is not "<match> -> <proxy|direct> [helo=…] [from=…]"`);
    const [, matchText = '', via = '', rest = ''] = m;
    const route: RouteConfig = { match: parseMatch(matchText, entry), via };
    if (via !== 'direct' && !proxyNames.has(via))
      throw new Error(`route "${entry}": no proxy named "${via}" in SMTP_PROXIES`);
    for (const option of rest.trim().split(/\s+/).filter(Boolean)) {
      const [key, value] = splitOnce(option, '=');
      if (!value) throw new Error(`route "${entry}": "${option}" is not key=value`);
      if (key === 'helo') route.heloName = value;
      else if (key === 'from' || key === 'mail_from') route.mailFrom = value;
      else throw new Error(`route "${entry}": unknown option "${key}" (helo=, from=)`);
    }
    return route;
  });
}

function parseMatch(text: string, entry: string): RouteMatch {
  if (text === 'default' || text === '*') return { kind: 'default' };
  const [kind, value] = splitOnce(text, ':');
  if (kind === 'mx' && value) return { kind: 'mx', suffix: value.toLowerCase().replace(/^\./, '') };
  if (kind === 'provider' && value) return { kind: 'provider', id: value.toLowerCase() };
  throw new Error(`route "${entry}": "${text}" is not mx:<suffix>, provider:<id> or default`);
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** SMTP_SOURCE_ADDRESSES: IP addresses of this host, comma or space separated. */
export function parseSourceAddresses(text: string): string[] {
  const list = text
    .split(/[,\s]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  for (const ip of list) if (isIP(ip) === 0) throw new Error(`"${ip}" is not an IP address`);
  return [...new Set(list)];
}
