import { lookup } from 'node:dns/promises';
import { literalIpOf, refusalOf } from './address-policy.ts';

/** A webhook URL that must never be tried again: refused address, or not a usable URL. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

/** The system resolver, all addresses, in the order the system prefers. */
export const systemResolve: Resolve = (host) => lookup(host, { all: true, order: 'verbatim' });

export interface Destination {
  url: URL;
  /** The host to name in Host and TLS SNI (no brackets). */
  host: string;
  /** The address that was checked; the connection goes there and nowhere else. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a webhook URL once and checks where it leads, at send time (the creation-time check
 * cannot see DNS changes). Unless `allowPrivate`, a literal or resolved address that is not public
 * unicast is refused, and a host with any such address among its records is refused as a whole.
 * Lookup failures are thrown as they come: they may be temporary, so they are retried.
 */
export async function resolveDestination(
  raw: string,
  o: { allowPrivate: boolean; resolve?: Resolve },
): Promise<Destination> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefusedError('destination not allowed: not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DestinationRefusedError('destination not allowed: only http and https');
  }
  if (url.username || url.password) {
    throw new DestinationRefusedError('destination not allowed: credentials in the URL');
  }
  const literal = literalIpOf(url);
  if (literal !== null) {
    const refusal = refusalOf(literal);
    if (refusal && !o.allowPrivate)
      throw new DestinationRefusedError(`destination not allowed: ${refusal}`);
    return { url, host: literal, address: literal, family: literal.includes(':') ? 6 : 4 };
  }
  const records = await (o.resolve ?? systemResolve)(url.hostname);
  if (records.length === 0) throw new Error('DNS lookup returned no address (ENOTFOUND)');
  if (!o.allowPrivate) {
    for (const r of records) {
      const refusal = refusalOf(r.address);
      // The address itself is not named: the attempt log is customer-visible, and naming what an
      // internal host name resolves to would turn webhooks into a DNS oracle.
      if (refusal)
        throw new DestinationRefusedError(`destination not allowed: host resolves to a ${refusal}`);
    }
  }
  const first = records[0]!;
  return { url, host: url.hostname, address: first.address, family: first.family === 6 ? 6 : 4 };
}
