/**
 * RFC 2920 PIPELINING in the probe: against a server that offers it, MAIL FROM and the RCPTs
 * (the catch-all RCPT beside the first) go in one write and their replies are matched in order;
 * a server that does not offer it, or SMTP_PIPELINING=false, gets one command at a time. The
 * server below records every command that arrived while an earlier one was still unanswered.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';
import { findFreePort } from '../../support/smtp-server.ts';

interface RawServer {
  /** Every command line, in arrival order. */
  commands: string[];
  /** Commands that arrived while a reply to an earlier one was still owed (pipelined). */
  overlapped: string[];
  close(): Promise<void>;
}

interface RawOptions {
  /** Offer PIPELINING in the EHLO reply. */
  pipelining: boolean;
  /** Hold MAIL FROM's reply until this many RCPTs arrived (a serial client would wait forever). */
  holdMailUntilRcpts?: number;
  /** MAIL FROM's reply (default 250). */
  mailReply?: string;
}

/** A hand-made SMTP server: answers each command 5 ms after it arrived, in order. */
async function rawServer(host: string, port: number, opts: RawOptions): Promise<RawServer> {
  const commands: string[] = [];
  const overlapped: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buffer = '';
    let owed = 0;
    let rcptsSeen = 0;
    let heldMail: (() => void) | null = null;
    // Replies leave in the order of their commands (RFC 2920 3.1), each when it is ready.
    const slots: { text: string | null }[] = [];
    const flush = () => {
      let ready: string | null | undefined;
      while ((ready = slots[0]?.text) != null) {
        slots.shift();
        owed--;
        if (!sock.destroyed) sock.write(ready);
      }
    };
    const slot = () => {
      const s = { text: null as string | null };
      slots.push(s);
      return (text: string) =>
        setTimeout(() => {
          s.text = text;
          flush();
        }, 5);
    };
    sock.write('220 mx.pipe.test ESMTP\r\n');
    sock.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        commands.push(line);
        if (owed > 0) overlapped.push(line);
        owed++;
        const verb = line.slice(0, 4).toUpperCase();
        const answer = slot();
        if (verb === 'EHLO')
          answer(
            `250-mx.pipe.test\r\n${opts.pipelining ? '250-PIPELINING\r\n' : ''}250 8BITMIME\r\n`,
          );
        else if (verb === 'MAIL') {
          const reply = `${opts.mailReply ?? '250 2.1.0 Ok'}\r\n`;
          if (opts.holdMailUntilRcpts) heldMail = () => answer(reply);
          else answer(reply);
        } else if (verb === 'RCPT') {
          rcptsSeen++;
          answer(
            /<alice@/i.test(line)
              ? '250 2.1.5 Ok\r\n'
              : '550 5.1.1 <x>: Recipient address rejected: User unknown\r\n',
          );
          if (heldMail && rcptsSeen >= (opts.holdMailUntilRcpts ?? 0)) {
            heldMail();
            heldMail = null;
          }
        } else if (verb === 'QUIT') {
          answer('221 2.0.0 Bye\r\n');
          setTimeout(() => sock.end(), 10);
        } else answer('502 5.5.2 Error: command not recognized\r\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    commands,
    overlapped,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let fixture: EngineFixture | null = null;
let raw: RawServer | null = null;
afterEach(async () => {
  await fixture?.close();
  await raw?.close();
  fixture = null;
  raw = null;
});

async function withRawServer(opts: RawOptions, smtp: { pipelining?: boolean } = {}) {
  const port = await findFreePort(['127.0.0.2']);
  raw = await rawServer('127.0.0.2', port, opts);
  fixture = await engineFixture({
    zones: mxZones({ 'pipe.test': '127.0.0.2' }),
    smtp: { port, ...smtp },
  });
  return { server: raw, verifier: fixture.verifier };
}

const rcpt = (local: string) => `RCPT TO:<${local}@pipe.test>`;
const isCatchAllRcpt = (c: string) => /^RCPT TO:<x[0-9a-f]{12}@pipe\.test>$/.test(c);

describe('SMTP PIPELINING (RFC 2920)', () => {
  it('when the server offers PIPELINING, then MAIL FROM, the RCPT and the catch-all RCPT go in one write', async () => {
    // MAIL's reply is held until both RCPTs are in: only a pipelining client gets a verdict.
    const { server, verifier } = await withRawServer({ pipelining: true, holdMailUntilRcpts: 2 });
    const v = await verifier.verify('alice@pipe.test', LIVE);
    expect(v).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(v.checks.catch_all).toBe(false);
    expect(server.commands.slice(1, 4)).toEqual([
      'MAIL FROM:<verify@probe.mailsift.test>',
      rcpt('alice'),
      expect.stringMatching(/^RCPT TO:<x[0-9a-f]{12}@pipe\.test>$/),
    ]);
    expect(server.overlapped.slice(0, 2)).toEqual([rcpt('alice'), server.commands[3]]);
    expect(server.overlapped.some((c) => c.startsWith('EHLO') || c.startsWith('MAIL'))).toBe(false);
  });

  it('when the server does not offer PIPELINING, then one command waits for the reply before it', async () => {
    const { server, verifier } = await withRawServer({ pipelining: false });
    const v = await verifier.verify('alice@pipe.test', LIVE);
    expect(v).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(server.commands.filter(isCatchAllRcpt)).toHaveLength(1);
    expect(server.overlapped).toEqual([]);
  });

  it('when SMTP_PIPELINING is off, then a server offering it still gets one command at a time', async () => {
    const { server, verifier } = await withRawServer({ pipelining: true }, { pipelining: false });
    const verdicts = await verifier.verifyDomainGroup(
      'pipe.test',
      ['alice@pipe.test', 'bob@pipe.test', 'carol@pipe.test'],
      LIVE,
    );
    expect(verdicts.map((v) => v.reason)).toEqual([
      'accepted_email',
      'rejected_email',
      'rejected_email',
    ]);
    expect(server.overlapped).toEqual([]);
  });

  it.each([true, false])(
    'when MAIL FROM is refused (pipelining %s), then every address gets the same verdict and nothing is read out of turn',
    async (pipelining) => {
      const { server, verifier } = await withRawServer({
        pipelining,
        mailReply: '553 5.7.1 <verify@probe.mailsift.test>: Sender address rejected',
      });
      const verdicts = await verifier.verifyDomainGroup(
        'pipe.test',
        ['alice@pipe.test', 'bob@pipe.test'],
        LIVE,
      );
      for (const v of verdicts) {
        expect(v.checks.smtp?.code).toBe(553);
        expect(v.status).not.toBe('deliverable');
        expect(v.status).not.toBe('undeliverable');
      }
      expect(server.commands.filter((c) => c.startsWith('RCPT')).length > 0).toBe(pipelining);
    },
  );

  it('when a group is pipelined against multi-line replies and jittery latency, then each RCPT reply lands on its own address', async () => {
    const known = ['u0', 'u3', 'u4', 'u8', 'u11', 'u12', 'u13', 'u17'];
    fixture = await engineFixture({
      servers: [
        {
          host: '127.0.0.2',
          behaviour: {
            knownUsers: known,
            multiLine: true,
            latencyMs: { min: 0, max: 8 },
            latencyIsRoundTrip: true,
          },
        },
      ],
      zones: mxZones({ 'pipe.test': '127.0.0.2' }),
    });
    const emails = Array.from({ length: 20 }, (_, i) => `u${i}@pipe.test`);
    const verdicts = await fixture.verifier.verifyDomainGroup('pipe.test', emails, LIVE);
    expect(verdicts.map((v) => v.normalized)).toEqual(emails);
    for (const [i, v] of verdicts.entries()) {
      const exists = known.includes(`u${i}`);
      expect(v.reason).toBe(exists ? 'accepted_email' : 'rejected_email');
      expect(v.checks.smtp?.code).toBe(exists ? 250 : 550);
    }
    const server = fixture.servers[0]!;
    // Every address asked exactly once, the catch-all RCPT once; 12 refused + 1: 3 sessions of 5.
    const asked = server.rcpts.filter((a) => !/^x[0-9a-f]{12}@/.test(a));
    expect([...asked].sort()).toEqual([...emails].sort());
    expect(server.rcpts.length - asked.length).toBe(1);
    expect(server.sessions).toBe(3);
  });
});
