/**
 * The test support servers themselves: a scripted DNS server and scripted SMTP servers that the
 * engine's and the workers' tests rely on.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { startSmtpServers, type SmtpServerHandle } from '../../support/smtp-server.ts';

let dns: DnsServer | null = null;
let smtp: { close(): Promise<void> } | null = null;
afterEach(async () => {
  await dns?.close();
  await smtp?.close();
  dns = null;
  smtp = null;
});

function query(
  port: number,
  name: string,
  type: 'MX' | 'A' | 'AAAA',
): Promise<DecodedPacket & { rcode?: string }> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sock.close();
      reject(new Error('dns timeout'));
    }, 1000);
    sock.on('message', (msg) => {
      clearTimeout(t);
      sock.close();
      resolve(dnsPacket.decode(msg));
    });
    sock.send(
      dnsPacket.encode({ type: 'query', id: 7, questions: [{ type, name }] }),
      port,
      '127.0.0.1',
    );
  });
}

/** A minimal line-oriented SMTP client: sends each command after the previous reply is complete. */
async function converse(
  host: string,
  port: number,
  commands: string[],
  startTls = false,
): Promise<string[]> {
  let sock: net.Socket = net.connect(port, host);
  const replies: string[] = [];
  let buf = '';
  let current: string[] = [];
  let waiter: ((r: string) => void) | null = null;
  const onData = (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      current.push(line);
      if (line[3] !== '-') {
        const r = current.join('\n');
        current = [];
        waiter?.(r);
      }
    }
  };
  sock.on('data', onData);
  const next = () => new Promise<string>((resolve) => (waiter = resolve));
  replies.push(await next());
  for (const c of commands) {
    sock.write(`${c}\r\n`);
    replies.push(await next());
    if (startTls && c === 'STARTTLS') {
      sock.removeListener('data', onData);
      sock = tls.connect({ socket: sock, rejectUnauthorized: false });
      sock.on('data', onData);
      await new Promise((r) => sock.once('secureConnect', r));
    }
  }
  sock.destroy();
  return replies;
}

describe('scripted DNS server', () => {
  it('answers MX, A, NODATA, NXDOMAIN, SERVFAIL and null MX with TTLs, and counts queries', async () => {
    dns = await startDnsServer({
      ...mxZones({ 'example.test': '127.0.0.2' }, 60),
      'nullmx.test': { nullMx: true },
      'broken.test': { servfail: true },
    });
    const mx = await query(dns.port, 'example.test', 'MX');
    expect(mx.answers?.[0]).toMatchObject({
      type: 'MX',
      ttl: 60,
      data: { preference: 10, exchange: 'mx.2.test' },
    });
    const a = await query(dns.port, 'mx.2.test', 'A');
    expect(a.answers?.[0]).toMatchObject({ type: 'A', data: '127.0.0.2' });
    const nodata = await query(dns.port, 'example.test', 'AAAA');
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    expect((await query(dns.port, 'nowhere.test', 'MX')).rcode).toBe('NXDOMAIN');
    expect((await query(dns.port, 'broken.test', 'MX')).rcode).toBe('SERVFAIL');
    expect((await query(dns.port, 'nullmx.test', 'MX')).answers?.[0]).toMatchObject({
      data: { exchange: '.' },
    });
    expect(dns.queries).toBe(6);
    expect(dns.queriesFor('example.test', 'MX')).toBe(1);
    dns.addZone('late.test', { a: ['127.0.0.9'] });
    expect((await query(dns.port, 'late.test', 'A')).answers?.[0]).toMatchObject({
      data: '127.0.0.9',
    });
  });

  it('never answers a name whose zone says timeout', async () => {
    dns = await startDnsServer({ 'slow.test': { timeout: true } });
    await expect(query(dns.port, 'slow.test', 'MX')).rejects.toThrow('dns timeout');
  });
});

describe('scripted SMTP servers', () => {
  it('share one port over several loopback addresses and answer RCPT per behaviour', async () => {
    const started = await startSmtpServers([
      { host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } },
      { host: '127.0.0.3', behaviour: { acceptAll: true, multiLine: true } },
      { host: '127.0.0.4', behaviour: { implementation: 'smtp-server', knownUsers: ['alice'] } },
    ]);
    smtp = started;
    const [known, all, pkg] = started.servers as [
      SmtpServerHandle,
      SmtpServerHandle,
      SmtpServerHandle,
    ];
    const script = [
      'EHLO probe.test',
      'MAIL FROM:<v@probe.test>',
      'RCPT TO:<alice@a.test>',
      'RCPT TO:<bob@a.test>',
      'QUIT',
    ];
    const r1 = await converse('127.0.0.2', started.port, script);
    expect(r1[3]).toMatch(/^250 /);
    expect(r1[4]).toMatch(/^550 5\.1\.1 /);
    const r2 = await converse('127.0.0.3', started.port, script);
    expect(r2[0]).toMatch(/^220-.*\n220-.*\n220 /);
    expect(r2[4]).toMatch(/^250-2\.1\.5 .*\n250 2\.1\.5 /);
    const r3 = await converse('127.0.0.4', started.port, script);
    expect(r3[3]).toMatch(/^250 /);
    expect(r3[4]).toMatch(/^550 5\.1\.1 /);
    expect([known.sessions, all.sessions, pkg.sessions]).toEqual([1, 1, 1]);
    expect(known.rcpts).toEqual(['alice@a.test', 'bob@a.test']);
    expect(pkg.rcpts).toEqual(['alice@a.test', 'bob@a.test']);
    expect(known.dataCommands).toBe(0);
  });

  it('greylists the first attempt, limits recipients per session and rejects on connect', async () => {
    const started = await startSmtpServers([
      { host: '127.0.0.2', behaviour: { greylist: true, maxRecipientsPerSession: 1 } },
      { host: '127.0.0.3', behaviour: { rejectOnConnect: true } },
    ]);
    smtp = started;
    const script = [
      'HELO probe.test',
      'MAIL FROM:<v@probe.test>',
      'RCPT TO:<a@a.test>',
      'RCPT TO:<a@a.test>',
    ];
    const r = await converse('127.0.0.2', started.port, script);
    expect(r[3]).toMatch(/^450 4\.2\.0 .*Greylisted/);
    expect(r[4]).toMatch(/^452 4\.5\.3 /);
    const again = await converse('127.0.0.2', started.port, script.slice(0, 3));
    expect(again[3]).toMatch(/^250 /);
    const rejected = await converse('127.0.0.3', started.port, []);
    expect(rejected[0]).toMatch(/^421 4\.7\.0 /);
  });

  it.each(['scripted', 'smtp-server'] as const)(
    'offers STARTTLS with a self-signed certificate (%s)',
    async (implementation) => {
      const started = await startSmtpServers([
        { host: '127.0.0.5', behaviour: { implementation, startTls: true } },
      ]);
      smtp = started;
      const r = await converse(
        '127.0.0.5',
        started.port,
        ['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT'],
        true,
      );
      expect(r[1]).toContain('STARTTLS');
      expect(r[2]).toMatch(/^220 /);
      expect(r[3]).not.toContain('STARTTLS');
      expect(started.servers[0]?.tlsSessions).toBe(1);
    },
  );

  it('drops the connection after MAIL FROM and dribbles a tarpit banner', async () => {
    const started = await startSmtpServers([
      { host: '127.0.0.2', behaviour: { dropAfterMailFrom: true } },
      { host: '127.0.0.3', behaviour: { tarpit: { bytesPerSecond: 20 } } },
    ]);
    smtp = started;
    const sock = net.connect(started.port, '127.0.0.2');
    let closed = false;
    sock.on('data', (d) => {
      if (d.toString().startsWith('220')) sock.write('HELO x\r\nMAIL FROM:<a@b.test>\r\n');
    });
    await new Promise<void>((resolve) => sock.on('close', () => ((closed = true), resolve())));
    expect(closed).toBe(true);
    const tar = net.connect(started.port, '127.0.0.3');
    const first = await new Promise<Buffer>((resolve) => tar.once('data', resolve));
    expect(first.length).toBe(1);
    tar.destroy();
  });
});
