import dgram from 'node:dgram';
import { getServers } from 'node:dns';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

/**
 * A small stub resolver over UDP (TCP when the answer is truncated), built on dns-packet
 * because node's dns.resolveMx() does not return TTLs, and the engine caches by TTL.
 */

export type QueryType = 'MX' | 'A' | 'AAAA' | 'PTR';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'OTHER';

export interface DnsResponse {
  rcode: Rcode;
  answers: Answer[];
}

/** No server answered in time (every server tried), or the query could not be sent. */
export class DnsTimeoutError extends Error {
  override name = 'DnsTimeoutError';
}

export interface DnsServerAddress {
  host: string;
  port: number;
}

/** Parses `ip`, `ip:port`, `[v6]` or `[v6]:port` (the forms of DNS_SERVERS and dns.getServers()). */
export function parseServer(s: string): DnsServerAddress {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) return { host: bracket[1] as string, port: bracket[2] ? Number(bracket[2]) : 53 };
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const i = s.lastIndexOf(':');
  if (i > 0) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: 53 };
}

export interface DnsClientOptions {
  /** `ip` or `ip:port`; empty = the system's resolvers (resolv.conf, via node:dns). */
  servers: string[];
  /** Deadline for one lookup, across every server and retransmission. */
  timeoutMs: number;
}

export class DnsClient {
  private readonly servers: DnsServerAddress[];

  constructor(private readonly options: DnsClientOptions) {
    const list = options.servers.length > 0 ? options.servers : getServers();
    this.servers = list.map(parseServer);
    if (this.servers.length === 0) this.servers.push({ host: '127.0.0.1', port: 53 });
  }

  /** One question; resolves with the answer section and rcode, rejects with DnsTimeoutError. */
  async query(name: string, type: QueryType, signal?: AbortSignal): Promise<DnsResponse> {
    const deadline = Date.now() + this.options.timeoutMs;
    // Split the budget over the servers so a dead first server leaves time for the next.
    const per = Math.max(200, Math.floor(this.options.timeoutMs / this.servers.length));
    for (const server of this.servers) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) break;
      const packet = await udpQuery(server, name, type, Math.min(per, left), signal);
      if (!packet) continue;
      if (packet.flags !== undefined && packet.flags & dnsPacket.TRUNCATED_RESPONSE) {
        const full = await tcpQuery(server, name, type, Math.max(0, deadline - Date.now()), signal);
        if (full) return toResponse(full);
        continue;
      }
      const response = toResponse(packet);
      // RFC 1035 4.1.1: SERVFAIL / REFUSED from one server: ask the next.
      if (response.rcode === 'SERVFAIL' || response.rcode === 'REFUSED') {
        if (server === this.servers[this.servers.length - 1]) return response;
        continue;
      }
      return response;
    }
    throw new DnsTimeoutError(`no DNS answer for ${name} ${type}`);
  }
}

function toResponse(p: Packet & { rcode?: string }): DnsResponse {
  const rcode = p.rcode ?? 'NOERROR';
  const known: Rcode[] = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'];
  return {
    rcode: (known as string[]).includes(rcode) ? (rcode as Rcode) : 'OTHER',
    answers: p.answers ?? [],
  };
}

function question(name: string, type: QueryType): Packet {
  return {
    type: 'query',
    id: randomInt(0, 65536), // RFC 5452 9.2: unpredictable ids against spoofed answers
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  };
}

function matches(q: Packet, r: Packet): boolean {
  const a = q.questions?.[0];
  const b = r.questions?.[0];
  return (
    r.id === q.id &&
    !!a &&
    !!b &&
    a.type === b.type &&
    a.name.toLowerCase() === b.name.toLowerCase()
  );
}

/** Sends the query, resends once halfway through, resolves null on timeout. */
function udpQuery(
  server: DnsServerAddress,
  name: string,
  type: QueryType,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<(Packet & { rcode?: string }) | null> {
  const q = question(name, type);
  const buf = dnsPacket.encode(q);
  const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: (Packet & { rcode?: string }) | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(resend);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve(value);
    };
    const onAbort = () => finish(null);
    const send = () => socket.send(buf, server.port, server.host, (err) => err && finish(null));
    const timer = setTimeout(() => finish(null), timeoutMs);
    const resend = setTimeout(send, Math.floor(timeoutMs / 2));
    signal?.addEventListener('abort', onAbort);
    socket.on('error', () => finish(null));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port) return;
      try {
        const r = dnsPacket.decode(msg) as Packet & { rcode?: string };
        if (matches(q, r)) finish(r);
      } catch {
        // a malformed datagram is ignored, like a spoofed one
      }
    });
    send();
  });
}

/** RFC 7766: the same question over TCP, for answers too large for UDP. */
function tcpQuery(
  server: DnsServerAddress,
  name: string,
  type: QueryType,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<(Packet & { rcode?: string }) | null> {
  const q = question(name, type);
  return new Promise((resolve) => {
    const socket = net.connect(server.port, server.host);
    let buf = Buffer.alloc(0);
    const finish = (value: (Packet & { rcode?: string }) | null) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(value);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    signal?.addEventListener('abort', onAbort);
    socket.on('error', () => finish(null));
    socket.on('connect', () => socket.write(dnsPacket.streamEncode(q)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        const r = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Packet & {
          rcode?: string;
        };
        finish(matches(q, r) ? r : null);
      } catch {
        finish(null);
      }
    });
  });
}
