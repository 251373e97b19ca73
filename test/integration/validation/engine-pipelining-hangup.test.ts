/**
 * A pipelined batch the server stops answering part-way (RFC 2920): the replies read are matched
 * to their RCPTs, the addresses whose reply never came share the session's end (a 421, or the
 * connection dropped), and nothing hangs or rejects unhandled.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';
import { findFreePort } from '../../support/smtp-server.ts';

let fixture: EngineFixture | null = null;
let server: net.Server | null = null;
const sockets = new Set<net.Socket>();
afterEach(async () => {
  await fixture?.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  fixture = null;
  server = null;
});

/**
 * Offers PIPELINING; the session's RCPTs get, in order: 250, 550, 550, then `end` (the 4th:
 * a 421 and the close, or the close with no reply); every command arriving after is unanswered.
 */
async function hangingUp(end: 'reply421' | 'drop'): Promise<{ commands: string[]; port: number }> {
  const commands: string[] = [];
  const port = await findFreePort(['127.0.0.2']);
  server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => sock.destroy());
    let buffer = '';
    let rcpts = 0;
    let over = false;
    sock.write('220 mx.hang.test ESMTP\r\n');
    sock.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while (!over && (nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-mx.hang.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') sock.write('250 2.1.0 Ok\r\n');
        else if (verb === 'RCPT') {
          rcpts++;
          if (rcpts === 1) sock.write('250 2.1.5 Ok\r\n');
          else if (rcpts <= 3) sock.write('550 5.1.1 User unknown\r\n');
          else {
            over = true;
            if (end === 'reply421') sock.end('421 4.3.2 Service shutting down\r\n');
            else sock.destroy();
          }
        } else if (verb === 'QUIT') sock.end('221 2.0.0 Bye\r\n');
        else sock.write('502 5.5.2 Error\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(port, '127.0.0.2', () => resolve()));
  return { commands, port };
}

const emails = ['alice', 'bob', 'carol', 'dave'].map((l) => `${l}@hang.test`);

describe('a pipelined batch cut short', () => {
  it.each(['reply421', 'drop'] as const)(
    'when the server ends the session (%s) after answering part of a batch, then the answered RCPTs keep their replies and the rest share the end',
    async (end) => {
      const { commands, port } = await hangingUp(end);
      fixture = await engineFixture({
        zones: mxZones({ 'hang.test': '127.0.0.2' }),
        smtp: { port },
      });
      const verdicts = await fixture.verifier.verifyDomainGroup('hang.test', emails, LIVE);
      // One write: alice, the catch-all RCPT, bob, carol (the 4th RCPT: the end), dave.
      expect(commands.filter((c) => c.startsWith('RCPT')).length).toBeGreaterThanOrEqual(4);
      expect(verdicts.map((v) => v.normalized)).toEqual(emails);
      expect(verdicts[0]).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
      expect(verdicts[0]!.checks.catch_all).toBe(false);
      expect(verdicts[1]).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
      for (const v of verdicts.slice(2)) {
        expect(v.status).toBe('unknown');
        if (end === 'reply421') expect(v.checks.smtp?.code).toBe(421);
      }
    },
  );
});
