import type { ProxyConfig } from './network-config.ts';
import { smtpSessionMetrics, type SmtpSessionMetrics } from '../lib/probe-metrics.ts';
import { serviceOfHost } from './providers.ts';
import { SmtpConnectError, SmtpConnection, SmtpTlsError } from './smtp-client.ts';
import { ehloKeywords, type SmtpReply } from './smtp-reply.ts';

/**
 * Opens an SMTP session up to the point where MAIL FROM can be sent: connect, banner, EHLO
 * (HELO when EHLO is refused), and opportunistic STARTTLS with a plain-text retry when the TLS
 * handshake fails.
 */

export interface SessionOptions {
  ip: string;
  /** The MX host name, for TLS SNI. */
  mxHost: string;
  port: number;
  heloName: string;
  connectTimeoutMs: number;
  signal: AbortSignal;
  localAddress?: string;
  proxy?: ProxyConfig | null;
}

export type OpenedSession =
  | { kind: 'open'; conn: SmtpConnection; extensions: Set<string> }
  /**
   * The server greeted or answered EHLO/HELO with a refusal (4xx/5xx): the reply says why.
   * `closing` settles when the QUIT sent is answered or given up (SmtpConnection.quit).
   */
  | { kind: 'refused'; stage: 'banner' | 'helo'; reply: SmtpReply; closing: Promise<void> };

/** How long a QUIT's 221 is awaited, in the background, before the socket is closed anyway. */
export const QUIT_WAIT_MS = 5000;

export async function openSession(opts: SessionOptions, tryTls = true): Promise<OpenedSession> {
  const metrics = smtpSessionMetrics(serviceOfHost(opts.mxHost)?.id ?? 'other');
  try {
    const opened = await dialogue(opts, tryTls, metrics);
    metrics.opened(opened.kind === 'open' ? 'opened' : 'refused');
    return opened;
  } catch (err) {
    if (err instanceof SmtpConnectError) metrics.opened('connect_failed');
    else if (err instanceof SmtpTlsError && tryTls) {
      // A broken TLS stack must not cost the verdict: start over in plain text.
      metrics.opened('tls_failed');
      return openSession(opts, false);
    } else metrics.opened('failed');
    throw err;
  }
}

async function dialogue(
  opts: SessionOptions,
  tryTls: boolean,
  metrics: SmtpSessionMetrics,
): Promise<OpenedSession> {
  const conn = await SmtpConnection.connect({
    host: opts.ip,
    port: opts.port,
    signal: opts.signal,
    connectTimeoutMs: opts.connectTimeoutMs,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    proxy: opts.proxy ?? null,
  });
  conn.observe(metrics);
  try {
    // RFC 5321 3.1: a 554 (or 421) greeting means no service here; 220 means go on.
    const banner = await conn.read(opts.signal);
    if (banner.code !== 220) {
      const closing = conn.quit(QUIT_WAIT_MS, opts.signal);
      return { kind: 'refused', stage: 'banner', reply: banner, closing };
    }
    let hello = await greet(conn, opts);
    if (hello.kind === 'refused') {
      return { ...hello, closing: conn.quit(QUIT_WAIT_MS, opts.signal) };
    }
    if (tryTls && hello.extensions.has('STARTTLS')) {
      const r = await conn.command('STARTTLS', opts.signal);
      if (r.code === 220) {
        try {
          await conn.upgrade(opts.mxHost, opts.signal);
        } catch (err) {
          conn.destroy();
          throw err;
        }
        // RFC 3207 4.2: forget everything learnt before TLS and say EHLO again.
        hello = await greet(conn, opts);
        if (hello.kind === 'refused') {
          return { ...hello, closing: conn.quit(QUIT_WAIT_MS, opts.signal) };
        }
      }
      // 454 "TLS not available": carry on in plain text, as MTAs do.
    }
    return { kind: 'open', conn, extensions: hello.extensions };
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

type Greeting =
  { kind: 'ok'; extensions: Set<string> } | { kind: 'refused'; stage: 'helo'; reply: SmtpReply };

async function greet(conn: SmtpConnection, opts: SessionOptions): Promise<Greeting> {
  const ehlo = await conn.command(`EHLO ${opts.heloName}`, opts.signal);
  if (ehlo.code === 250) return { kind: 'ok', extensions: ehloKeywords(ehlo) };
  // RFC 5321 4.1.1.1: a server that does not know EHLO answers 500 / 502; fall back to HELO.
  // Any other 5xx (Postfix's `504 5.5.2 Helo command rejected`, 550, 554) refuses our identity:
  // saying HELO with the same name would only be refused again.
  if (ehlo.code === 500 || ehlo.code === 502) {
    const helo = await conn.command(`HELO ${opts.heloName}`, opts.signal);
    if (helo.code === 250) return { kind: 'ok', extensions: new Set() };
    return { kind: 'refused', stage: 'helo', reply: helo };
  }
  return { kind: 'refused', stage: 'helo', reply: ehlo };
}
