/**
 * Session politeness against scripted servers: a domain full of dead addresses is probed in
 * several short sessions (SMTP_MAX_REJECTIONS_PER_SESSION), a 421 "too many errors" continues in
 * a new session instead of deferring every address, and a policy 5xx to EHLO is not followed by
 * HELO. The same behaviours against real Postfix / Exim / OpenSMTPD: real-mtas.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import {
  engineFixture,
  LIVE,
  type EngineFixture,
  type FixtureOptions,
} from '../../support/engine-harness.ts';
import type { SmtpBehaviour } from '../../support/smtp-server.ts';

let fixture: EngineFixture | null = null;
afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

const dead = (n: number, domain: string) =>
  Array.from({ length: n }, (_, i) => `gone${i}@${domain}`);

/** n dead addresses of dead.test, one group, against one scripted server. */
async function probeDead(n: number, behaviour: SmtpBehaviour, smtp: FixtureOptions['smtp']) {
  fixture = await engineFixture({
    servers: [{ host: '127.0.0.2', behaviour }],
    zones: mxZones({ 'dead.test': '127.0.0.2' }),
    smtp,
  });
  return fixture.verifier.verifyDomainGroup('dead.test', dead(n, 'dead.test'), LIVE);
}

/** RCPT counts per session, from the server's command log. */
function rcptsPerSession(commands: string[]): number[] {
  const counts: number[] = [];
  for (const c of commands) {
    if (/^MAIL FROM/i.test(c)) counts.push(0);
    else if (/^RCPT TO/i.test(c)) counts[counts.length - 1]! += 1;
  }
  return counts;
}

describe('session limits', () => {
  it('when 23 addresses of one domain are unknown, then sessions of at most 5 rejections give every verdict', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: mxZones({ 'dead.test': '127.0.0.2' }),
    });
    const emails = ['alice@dead.test', ...dead(23, 'dead.test')];
    const verdicts = await fixture.verifier.verifyDomainGroup('dead.test', emails, LIVE);
    expect(verdicts[0]).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    for (const v of verdicts.slice(1)) {
      expect(v).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    }
    const server = fixture.servers[0]!;
    // alice + the catch-all probe (rejected: 1) + 4 dead, then 5 + 5 + 5 + 4.
    expect(rcptsPerSession(server.commands)).toEqual([6, 5, 5, 5, 4]);
    expect(server.sessions).toBe(5);
    await server.waitForIdle(); // the last QUIT is sent, not awaited, before the verdicts
    expect(server.commands.filter((c) => c === 'QUIT')).toHaveLength(5);
    expect(server.dataCommands).toBe(0);
  });

  it.each([
    // Pipelined (RFC 2920), the made-up catch-all RCPT goes in the first write beside the first
    // address, so it is one of the first session's 2 rejections.
    { pipelining: true, perSession: [2, 2, 2] },
    // One command at a time, the catch-all RCPT only follows an accepted address: never here.
    { pipelining: false, perSession: [2, 2, 1] },
  ])(
    'when SMTP_MAX_REJECTIONS_PER_SESSION is 2 (pipelining $pipelining), then sessions end after 2 rejections',
    async ({ pipelining, perSession }) => {
      const verdicts = await probeDead(
        5,
        { knownUsers: [] },
        { maxRejectionsPerSession: 2, pipelining },
      );
      expect(verdicts.map((v) => v.reason)).toEqual(Array(5).fill('rejected_email'));
      expect(rcptsPerSession(fixture!.servers[0]!.commands)).toEqual(perSession);
    },
  );

  it.each([true, false])(
    'when the server says 421 too many errors (pipelining %s), then the rest go on in a new session and none is greylisted',
    async (pipelining) => {
      // Like Postfix with smtpd_hard_error_limit 3: the 4th command of a session after 3 errors.
      const verdicts = await probeDead(
        10,
        {
          rcpt: (_a, { rcptInSession }) =>
            rcptInSession > 3
              ? { code: 421, message: '4.7.0 mx.dead.test Error: too many errors' }
              : { code: 550, message: '5.1.1 <x>: Recipient address rejected: User unknown' },
        },
        { maxRejectionsPerSession: 50, pipelining },
      );
      expect(verdicts.map((v) => `${v.status}/${v.reason}`)).toEqual(
        Array(10).fill('undeliverable/rejected_email'),
      );
      expect(verdicts.every((v) => !v.temporary)).toBe(true);
      // 3 answered per session, the 4th RCPT asked again in the next one. Pipelined, the catch-all
      // RCPT is one of the first session's 3 (the server reads nothing after its 421).
      expect(rcptsPerSession(fixture!.servers[0]!.commands)).toEqual(
        pipelining ? [4, 4, 4, 2] : [4, 4, 4, 1],
      );
    },
  );

  it('when a fresh session gets 421 too many errors at once, then unknown/smtp_unavailable, never greylisted', async () => {
    fixture = await engineFixture({
      servers: [
        {
          host: '127.0.0.2',
          behaviour: { rcpt: () => ({ code: 421, message: '4.7.0 mx Error: too many errors' }) },
        },
      ],
      zones: mxZones({ 'dead.test': '127.0.0.2' }),
    });
    const v = await fixture.verifier.verify('a@dead.test', LIVE);
    expect(v).toMatchObject({ status: 'unknown', reason: 'smtp_unavailable', temporary: true });
  });
});

describe('EHLO refused', () => {
  it('when EHLO gets a policy 504, then unknown/blocked and no HELO retry', async () => {
    fixture = await engineFixture({
      servers: [
        {
          host: '127.0.0.2',
          behaviour: {
            refuseEhlo: {
              code: 504,
              message: '5.5.2 <probe>: Helo command rejected: need fully-qualified hostname',
            },
            knownUsers: ['alice'],
          },
        },
      ],
      zones: mxZones({ 'helo.test': '127.0.0.2' }),
    });
    const v = await fixture.verifier.verify('alice@helo.test', LIVE);
    expect(v).toMatchObject({ status: 'unknown', reason: 'blocked', temporary: false });
    expect(v.checks.smtp).toMatchObject({ code: 504, enhanced_code: '5.5.2' });
    const commands = fixture.servers[0]!.commands;
    expect(commands.some((c) => /^HELO /i.test(c))).toBe(false);
    expect(commands.some((c) => /^(MAIL|RCPT|DATA)/i.test(c))).toBe(false);
  });

  it('when EHLO gets 500, then HELO is tried and the probe carries on', async () => {
    fixture = await engineFixture({
      servers: [
        {
          host: '127.0.0.2',
          behaviour: {
            refuseEhlo: { code: 500, message: '5.5.1 Command unrecognized' },
            knownUsers: ['alice'],
          },
        },
      ],
      zones: mxZones({ 'helo.test': '127.0.0.2' }),
    });
    const v = await fixture.verifier.verify('alice@helo.test', LIVE);
    expect(v).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(fixture.servers[0]!.commands.some((c) => /^HELO /i.test(c))).toBe(true);
  });
});
