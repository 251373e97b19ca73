import { createRequire } from 'node:module';

/**
 * Domain and local-part lists from maintained npm data packages, each loaded once, on first use,
 * into a Set (module-level: every verifier in the process shares them).
 *
 * - disposable: `disposable-email-domains` (index.json exact names; wildcard.json names whose
 *   every subdomain is disposable). Parents are NOT matched against index.json: it holds shared
 *   registries such as za.com or web.id, whose customers' domains are not disposable.
 * - role: `role-based-email-addresses` (Mixmax), compared after dropping a "+tag".
 * - free: `email-providers` (derhuerst, from goware/emailproviders): all.json, ~8.7k domains of
 *   mailbox providers. It also lists typo-squatting domains (gmial.com, gmail.co); typo.ts does
 *   not let those count as "known good".
 */

const require = createRequire(import.meta.url);

function loadList(id: string): string[] {
  const data: unknown = require(id);
  if (!Array.isArray(data) || data.some((d) => typeof d !== 'string')) {
    throw new Error(`${id} is not a list of strings`);
  }
  return (data as string[]).map((d) => d.trim().toLowerCase()).filter(Boolean);
}

let disposable: Set<string> | null = null;
let disposableWildcard: Set<string> | null = null;
let roles: Set<string> | null = null;
let free: Set<string> | null = null;
let freeCommon: Set<string> | null = null;

export function disposableDomains(): Set<string> {
  return (disposable ??= new Set(loadList('disposable-email-domains')));
}

export function freeProviderDomains(): Set<string> {
  return (free ??= new Set(loadList('email-providers/all.json')));
}

/** The ~360 providers of email-providers' common.json (Majestic rank < 100,000). */
export function commonProviderDomains(): Set<string> {
  return (freeCommon ??= new Set(loadList('email-providers/common.json')));
}

export function roleLocalParts(): Set<string> {
  return (roles ??= new Set(loadList('role-based-email-addresses')));
}

/** `domain` is lower-case ASCII. */
export function isDisposableDomain(domain: string): boolean {
  if (disposableDomains().has(domain)) return true;
  const wild = (disposableWildcard ??= new Set(loadList('disposable-email-domains/wildcard.json')));
  for (let i = domain.indexOf('.'); i >= 0; i = domain.indexOf('.', i + 1)) {
    const parent = domain.slice(i + 1);
    if (!parent.includes('.')) break;
    if (wild.has(parent)) return true;
  }
  return wild.has(domain);
}

// The list carries RFC 2606 example domains; they are nobody's mailbox provider.
const RESERVED = new Set(['example.com', 'example.net', 'example.org']);

export function isFreeProvider(domain: string): boolean {
  return !RESERVED.has(domain) && freeProviderDomains().has(domain);
}

/** Role mailbox (info@, sales@, postmaster@...), ignoring case and a "+tag" (RFC 5233). */
export function isRoleAccount(local: string): boolean {
  let l = local.toLowerCase();
  const plus = l.indexOf('+');
  if (plus > 0) l = l.slice(0, plus);
  return roleLocalParts().has(l);
}

/** Loads every list now (createVerifier calls it, so the first address does not pay). */
export function preloadLists(): void {
  disposableDomains();
  isDisposableDomain('preload.invalid');
  freeProviderDomains();
  commonProviderDomains();
  roleLocalParts();
}
