import ipaddr from 'ipaddr.js';

/**
 * Where the probe may connect. With SMTP_ALLOW_PRIVATE off only global unicast addresses pass:
 * an MX record is attacker-controlled input, and without this check a domain could point the
 * prober at loopback, the cloud metadata service (169.254.169.254), the office LAN, CGNAT
 * space (100.64/10), or smuggle a private IPv4 inside IPv6 (::ffff:10.0.0.1, 64:ff9b::/96,
 * 6to4, Teredo). ipaddr.js classifies every IANA special-purpose block (RFC 6890).
 */
export function isPublicUnicast(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return ipaddr.parse(ip).range() === 'unicast';
}

export function mayConnect(ip: string, allowPrivate: boolean): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return allowPrivate || isPublicUnicast(ip);
}
