import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a webhook may be sent to. Pure: no DNS, no sockets. Anything ipaddr.js does not
 * call plain 'unicast' is refused: private, loopback, link-local, CGNAT, multicast, unspecified,
 * broadcast, reserved and documentation ranges, and every IPv6 range that embeds or translates an
 * IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo), since the embedded address could be anything.
 */

/** ::/96, IPv4-compatible IPv6 (RFC 4291 2.5.5.1, deprecated); ipaddr.js calls it 'unicast'. */
function isIpv4Compatible(addr: ipaddr.IPv6): boolean {
  const p = addr.parts;
  return p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0;
}

/**
 * The reason an IP address (any notation ipaddr.js reads; brackets allowed) is refused as a
 * webhook destination, or null when it is a public unicast address. An unreadable address is
 * refused: fail closed.
 */
export function refusalOf(ip: string): string | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(bare);
  } catch {
    return 'not an IP address';
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    // An IPv4-mapped address reaches the IPv4 host it names: judge that host, and refuse either way
    // (a public IPv4 has no reason to be spelled this way).
    if (v6.isIPv4MappedAddress()) {
      const inner = v6.toIPv4Address().range();
      return `ipv4-mapped${inner === 'unicast' ? '' : ` ${inner}`} address`;
    }
  }
  const range = addr.range();
  if (range !== 'unicast') return `${range} address`;
  // Checked after range(): ::1 and :: also lie in ::/96 and keep their own names.
  if (addr.kind() === 'ipv6' && isIpv4Compatible(addr as ipaddr.IPv6))
    return 'ipv4-compatible address';
  return null;
}

/**
 * The host of a URL as an IP address when it is a literal, else null. WHATWG URL parsing has
 * already normalised the odd IPv4 spellings (127.1, 0x7f000001, 2130706433, 0177.0.0.1) to
 * dotted decimal and IPv6 to its compressed form in brackets.
 */
export function literalIpOf(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}
