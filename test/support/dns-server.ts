/**
 * A scripted authoritative DNS server for tests, on 127.0.0.1 (UDP and TCP, same port).
 *
 * Usage:
 *   const dns = await startDnsServer({
 *     'example.test': { mx: [{ preference: 10, exchange: 'mx.2.test' }] },
 *     'mx.2.test': { a: ['127.0.0.2'] },
 *     'gone.test': { nxdomain: true },
 *   });
 *   loadConfig({ DNS_SERVERS: dns.address, ... })   // or config.dns.servers = [dns.address]
 *   dns.addZone('late.test', { a: ['127.0.0.3'] });  // zones may change while it runs
 *   expect(dns.queriesFor('example.test', 'MX')).toBe(1);
 *   await dns.close();
 *
 * Names not in the zones answer NXDOMAIN; a name in the zones without records of the asked type
 * answers NOERROR with no answers (NODATA), as a real server does. `mxZones()` builds the usual
 * "domain -> MX mx.N.test -> A 127.0.0.N" zones that the scripted SMTP servers listen on.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export interface DnsZone {
  mx?: { preference: number; exchange: string }[];
  a?: string[];
  aaaa?: string[];
  /** PTR targets, for reverse names (`5.0.0.127.in-addr.arpa`). */
  ptr?: string[];
  /** RFC 7505 null MX: a single `MX 0 .` record. */
  nullMx?: boolean;
  /** Answer NXDOMAIN for this name (and every type). */
  nxdomain?: boolean;
  /** Answer SERVFAIL for this name. */
  servfail?: boolean;
  /** Never answer queries for this name (the client must time out). */
  timeout?: boolean;
  /** TTL of every record of this name, in seconds (default 300). */
  ttl?: number;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type DnsZones = Record<string, DnsZone>;

export interface DnsQueryLog {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** The message id: a client's retransmission of one question repeats it. */
  id: number;
}

export interface DnsServer {
  host: '127.0.0.1';
  port: number;
  /** `127.0.0.1:PORT`, the form DNS_SERVERS / config.dns.servers take. */
  address: string;
  /** Replaces every zone. */
  setZones(zones: DnsZones): void;
  /** Adds or replaces one name. */
  addZone(name: string, zone: DnsZone): void;
  removeZone(name: string): void;
  /** Number of queries received (all names, all types). */
  readonly queries: number;
  readonly log: readonly DnsQueryLog[];
  /** Queries received for one name (optionally one type). */
  queriesFor(name: string, type?: string): number;
  resetCounters(): void;
  close(): Promise<void>;
}

const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

/** Builds `domain -> MX mx.N.test -> A ip` zones, one MX host per ip, preference in list order. */
export function mxZones(domains: Record<string, string | string[]>, ttl?: number): DnsZones {
  const zones: DnsZones = {};
  for (const [domain, ips] of Object.entries(domains)) {
    const list = Array.isArray(ips) ? ips : [ips];
    zones[domain] = {
      ttl,
      mx: list.map((ip, i) => ({ preference: 10 * (i + 1), exchange: mxHostFor(ip) })),
    };
    for (const ip of list) zones[mxHostFor(ip)] = { a: [ip], ttl };
  }
  return zones;
}

/**
 * Domains whose MX is a named host (a provider's: `aspmx.l.google.com`), that host's A record
 * pointing at a scripted server: `{ 'acme.test': ['aspmx.l.google.com', '127.0.0.60'] }`.
 */
export function namedMxZones(domains: Record<string, [host: string, ip: string]>): DnsZones {
  const zones: DnsZones = {};
  for (const [domain, [host, ip]] of Object.entries(domains)) {
    zones[domain] = { mx: [{ preference: 10, exchange: host }] };
    zones[host] = { a: [ip] };
  }
  return zones;
}

/** `127.0.0.7` -> `mx.7.test`; other addresses get a name built from all their parts. */
export function mxHostFor(ip: string): string {
  const m = /^127\.0\.0\.(\d+)$/.exec(ip);
  return m ? `mx.${m[1]}.test` : `mx.${ip.replace(/[.:]/g, '-')}.test`;
}

export async function startDnsServer(initial: DnsZones = {}): Promise<DnsServer> {
  let zones = normaliseZones(initial);
  const log: DnsQueryLog[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function answer(query: Packet, transport: 'udp' | 'tcp', reply: (p: Packet) => void): void {
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    log.push({ name, type: q.type, transport, id: query.id ?? 0 });
    const zone = zones.get(name);
    if (zone?.timeout) return;
    const base: Packet = {
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
      questions: [q],
      answers: [],
    };
    const send = (p: Packet) => {
      if (!zone?.delayMs) return reply(p);
      const t = setTimeout(() => {
        timers.delete(t);
        reply(p);
      }, zone.delayMs);
      timers.add(t);
    };
    if (!zone || zone.nxdomain) return send({ ...base, flags: (base.flags ?? 0) | RCODE_NXDOMAIN });
    if (zone.servfail) return send({ ...base, flags: (base.flags ?? 0) | RCODE_SERVFAIL });
    send({ ...base, answers: recordsFor(q.name, q.type, zone) });
  }

  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    let query: Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    answer(query, 'udp', (p) => udp.send(dnsPacket.encode(p), rinfo.port, rinfo.address));
  });

  const tcpSockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      // RFC 1035 4.2.2: over TCP every message is prefixed with its two-byte length.
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let query: Packet;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          socket.destroy();
          return;
        }
        answer(query, 'tcp', (p) => {
          if (!socket.destroyed) socket.write(dnsPacket.streamEncode(p));
        });
      }
    });
  });

  const port = await bindBoth(udp, tcp);

  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    setZones(z) {
      zones = normaliseZones(z);
    },
    addZone(name, zone) {
      zones.set(name.toLowerCase().replace(/\.$/, ''), zone);
    },
    removeZone(name) {
      zones.delete(name.toLowerCase().replace(/\.$/, ''));
    },
    get queries() {
      return log.length;
    },
    get log() {
      return log;
    },
    queriesFor(name, type) {
      const n = name.toLowerCase();
      return log.filter((l) => l.name === n && (!type || l.type === type)).length;
    },
    resetCounters() {
      log.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

function normaliseZones(z: DnsZones): Map<string, DnsZone> {
  return new Map(Object.entries(z).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
}

function recordsFor(name: string, type: string, zone: DnsZone): Answer[] {
  const ttl = zone.ttl ?? 300;
  if (type === 'MX') {
    if (zone.nullMx) return [{ type: 'MX', name, ttl, data: { preference: 0, exchange: '.' } }];
    return (zone.mx ?? []).map((mx) => ({ type: 'MX' as const, name, ttl, data: mx }));
  }
  if (type === 'A')
    return (zone.a ?? []).map((ip) => ({ type: 'A' as const, name, ttl, data: ip }));
  if (type === 'AAAA') {
    return (zone.aaaa ?? []).map((ip) => ({ type: 'AAAA' as const, name, ttl, data: ip }));
  }
  if (type === 'PTR')
    return (zone.ptr ?? []).map((host) => ({ type: 'PTR' as const, name, ttl, data: host }));
  return [];
}

/** Binds UDP on a random port, then TCP on the same port (best effort: UDP is what matters). */
async function bindBoth(udp: dgram.Socket, tcp: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port = udp.address().port;
  const tcpOk = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  });
  // Rare: the UDP port's TCP twin is in use. Keep UDP (the engine's transport) and serve no TCP.
  if (!tcpOk) tcp.removeAllListeners('error');
  return port;
}
