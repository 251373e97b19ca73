/**
 * The verifier against scripted SMTP servers on loopback (127.0.0.N, one shared port) and a
 * scripted DNS server mapping each test domain to them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones, type DnsZones } from '../../support/dns-server.ts';
import type { SmtpServerSpec } from '../../support/smtp-server.ts';
import {
  engineFixture,
  LIVE,
  QUICK,
  type EngineFixture,
  type FixtureOptions,
} from '../../support/engine-harness.ts';

let fixture: EngineFixture | null = null;
afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

async function setup(
  servers: SmtpServerSpec[],
  zones: DnsZones,
  opts: Omit<FixtureOptions, 'servers' | 'zones'> = {},
) {
  fixture = await engineFixture({ servers, zones, ...opts });
  return fixture;
}

describe('SMTP probe verdicts', () => {
  it('when the mailbox exists, then deliverable with the RCPT reply in checks.smtp', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      mxZones({ 'known.test': '127.0.0.2' }),
    );
    const v = await f.verifier.verify('Alice@Known.TEST', LIVE);
    expect(v).toMatchObject({
      status: 'deliverable',
      reason: 'accepted_email',
      normalized: 'Alice@known.test',
      temporary: false,
    });
    expect(v.checks).toMatchObject({
      syntax: true,
      mx_found: true,
      mx_host: 'mx.2.test',
      catch_all: false,
    });
    expect(v.checks.smtp).toEqual({ code: 250, enhanced_code: '2.1.5', message: 'Recipient ok' });
    expect(f.servers[0]?.dataCommands).toBe(0);
    // The verdict does not wait for the QUIT's answer: the session ends just after.
    await f.servers[0]?.waitForIdle();
    expect(f.servers[0]?.commands.some((c) => /^QUIT$/i.test(c))).toBe(true);
  });

  it('when the verifier is stopped (shutdown), then addresses are unknown, never undeliverable', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      mxZones({ 'known.test': '127.0.0.2' }),
    );
    await f.verifier.close();
    const [one] = await f.verifier.verifyDomainGroup('known.test', ['alice@known.test'], LIVE);
    const single = await f.verifier.verify('alice@known.test', LIVE);
    for (const v of [one!, single]) {
      expect(v.status).toBe('unknown');
      expect(f.servers[0]?.sessions).toBe(0);
    }
  });

  it('when the server answers 550 5.1.1, then undeliverable / rejected_email', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      mxZones({ 'known.test': '127.0.0.2' }),
    );
    const v = await f.verifier.verify('bob@known.test', LIVE);
    expect(v).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    expect(v.checks.smtp).toMatchObject({ code: 550, enhanced_code: '5.1.1' });
  });

  it('when the domain accepts a random address too, then accepted addresses are risky / catch_all', async () => {
    const f = await setup(
      [{ host: '127.0.0.3', behaviour: { acceptAll: true } }],
      mxZones({ 'all.test': '127.0.0.3' }),
    );
    const verdicts = await f.verifier.verifyDomainGroup(
      'all.test',
      ['a@all.test', 'b@all.test', 'c@all.test'],
      LIVE,
    );
    for (const v of verdicts) {
      expect(v).toMatchObject({
        status: 'risky',
        reason: 'catch_all',
        checks: { catch_all: true },
      });
    }
    // one random probe for the domain, remembered afterwards
    expect(f.servers[0]?.rcpts.filter((r) => /^x[0-9a-f]{12}@all\.test$/.test(r))).toHaveLength(1);
    await f.verifier.verify('d@all.test', LIVE);
    expect(f.servers[0]?.rcpts.filter((r) => /^x[0-9a-f]{12}@/.test(r))).toHaveLength(1);
  });

  it('when the server greylists, then unknown / greylisted and temporary', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { greylist: true, knownUsers: ['jane'] } }],
      mxZones({ 'grey.test': '127.0.0.2' }),
    );
    const first = await f.verifier.verify('jane@grey.test', LIVE);
    expect(first).toMatchObject({ status: 'unknown', reason: 'greylisted', temporary: true });
    expect(first.checks.smtp).toMatchObject({ code: 450, enhanced_code: '4.2.0' });
    const retry = await f.verifier.verify('jane@grey.test', LIVE); // the job's later attempt
    expect(retry).toMatchObject({ status: 'deliverable', temporary: false });
  });

  it('when the server is a tarpit, then unknown / timeout within the deadline', async () => {
    const f = await setup(
      [{ host: '127.0.0.4', behaviour: { tarpit: true } }],
      mxZones({ 'tar.test': '127.0.0.4' }),
      {
        smtp: { timeoutMs: 1500 },
      },
    );
    const started = Date.now();
    const [single, group] = await Promise.all([
      f.verifier.verify('x@tar.test', LIVE),
      f.verifier.verifyDomainGroup('tar.test', ['a@tar.test', 'b@tar.test', 'c@tar.test'], LIVE),
    ]);
    const took = Date.now() - started;
    expect(single).toMatchObject({
      status: 'unknown',
      reason: 'timeout',
      checks: { mx_found: true },
    });
    for (const v of group) expect(v).toMatchObject({ status: 'unknown', reason: 'timeout' });
    expect(took).toBeLessThan(1500 + 1000);
    expect(single.durationMs).toBeLessThanOrEqual(1500);
  });

  it('when the server drops the connection after MAIL FROM, then unknown / smtp_unavailable', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { dropAfterMailFrom: true } }],
      mxZones({ 'drop.test': '127.0.0.2' }),
    );
    const v = await f.verifier.verify('x@drop.test', LIVE);
    expect(v).toMatchObject({ status: 'unknown', reason: 'smtp_unavailable' });
  });

  it('when the server greets with 421, then unknown and temporary', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { rejectOnConnect: true } }],
      mxZones({ 'busy.test': '127.0.0.2' }),
    );
    const v = await f.verifier.verify('x@busy.test', LIVE);
    expect(v).toMatchObject({ status: 'unknown', temporary: true });
    expect(['smtp_unavailable', 'greylisted']).toContain(v.reason);
    expect(v.checks.smtp).toMatchObject({ code: 421 });
  });

  it('when the greeting refuses us as a blocklisted sender, then unknown / blocked', async () => {
    const f = await setup(
      [
        {
          host: '127.0.0.2',
          behaviour: {
            rejectOnConnect: {
              code: 554,
              message:
                '5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org',
            },
          },
        },
      ],
      mxZones({ 'rbl.test': '127.0.0.2' }),
    );
    expect(await f.verifier.verify('x@rbl.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'blocked',
      temporary: false,
    });
  });

  it.each(['scripted', 'smtp-server'] as const)(
    'when STARTTLS is offered, then the probe upgrades (%s)',
    async (implementation) => {
      const f = await setup(
        [
          {
            host: '127.0.0.5',
            behaviour: { implementation, startTls: true, knownUsers: ['alice'] },
          },
        ],
        mxZones({ 'tls.test': '127.0.0.5' }),
      );
      const [ok, nope] = await f.verifier.verifyDomainGroup(
        'tls.test',
        ['alice@tls.test', 'bob@tls.test'],
        LIVE,
      );
      expect(ok?.status).toBe('deliverable');
      expect(nope?.status).toBe('undeliverable');
      expect(f.servers[0]?.tlsSessions).toBe(1);
    },
  );

  it('when the server refuses EHLO, then the probe says HELO and carries on', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { refuseEhlo: true, knownUsers: ['alice'] } }],
      mxZones({ 'old.test': '127.0.0.2' }),
    );
    expect(await f.verifier.verify('alice@old.test', LIVE)).toMatchObject({
      status: 'deliverable',
    });
    expect(f.servers[0]?.commands.some((c) => c.startsWith('HELO '))).toBe(true);
  });

  it('when banner and replies span several lines, then they are read whole', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { multiLine: true, knownUsers: ['alice'] } }],
      mxZones({ 'multi.test': '127.0.0.2' }),
    );
    const [ok, nope] = await f.verifier.verifyDomainGroup(
      'multi.test',
      ['alice@multi.test', 'bob@multi.test'],
      LIVE,
    );
    expect(ok).toMatchObject({
      status: 'deliverable',
      checks: { smtp: { code: 250, message: 'Recipient ok' } },
    });
    expect(nope).toMatchObject({
      status: 'undeliverable',
      checks: { smtp: { enhanced_code: '5.1.1' } },
    });
    expect(nope?.checks.smtp?.message).toContain('User unknown in virtual mailbox table');
  });
});

describe('SMTP sessions', () => {
  it('when many addresses share a domain, then one session probes them all', async () => {
    // 4 unknown and the catch-all probe: 5 rejections, within SMTP_MAX_REJECTIONS_PER_SESSION.
    const users = Array.from({ length: 10 }, (_, i) => `user${i}`);
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { knownUsers: users.slice(0, 6) } }],
      mxZones({ 'many.test': '127.0.0.2' }),
    );
    const verdicts = await f.verifier.verifyDomainGroup(
      'many.test',
      users.map((u) => `${u}@many.test`),
      LIVE,
    );
    expect(verdicts.map((v) => v.status)).toEqual([
      ...Array(6).fill('deliverable'),
      ...Array(4).fill('undeliverable'),
    ]);
    expect(f.servers[0]?.sessions).toBe(1);
    expect(f.servers[0]?.commands.filter((c) => c.startsWith('MAIL FROM'))).toHaveLength(1);
  });

  it('when the server allows 3 recipients per session, then the rest go in new sessions with correct verdicts', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `user${i}`);
    const f = await setup(
      [
        {
          host: '127.0.0.2',
          behaviour: {
            maxRecipientsPerSession: 3,
            knownUsers: users.filter((_, i) => i % 2 === 0),
          },
        },
      ],
      mxZones({ 'limit.test': '127.0.0.2' }),
    );
    const verdicts = await f.verifier.verifyDomainGroup(
      'limit.test',
      users.map((u) => `${u}@limit.test`),
      LIVE,
    );
    expect(verdicts.map((v) => v.status)).toEqual(
      users.map((_, i) => (i % 2 === 0 ? 'deliverable' : 'undeliverable')),
    );
    // 8 addresses + 1 catch-all probe, 3 per session
    expect(f.servers[0]?.sessions).toBe(3);
    expect(verdicts.every((v) => !v.temporary)).toBe(true);
  });

  it('when the server says 552 5.5.3 too many recipients (RFC 821 style), then the rest go in new sessions, never mailbox_full', async () => {
    const users = Array.from({ length: 6 }, (_, i) => `user${i}`);
    const f = await setup(
      [
        {
          host: '127.0.0.2',
          behaviour: {
            rcpt: (address, { rcptInSession }) => {
              if (rcptInSession > 2) return { code: 552, message: '5.5.3 Too many recipients' };
              const i = Number(/^user(\d+)@/.exec(address)?.[1] ?? 1);
              return i % 2 === 0
                ? { code: 250, message: '2.1.5 Ok' }
                : { code: 550, message: '5.1.1 User unknown' };
            },
          },
        },
      ],
      mxZones({ 'limit552.test': '127.0.0.2' }),
    );
    const verdicts = await f.verifier.verifyDomainGroup(
      'limit552.test',
      users.map((u) => `${u}@limit552.test`),
      LIVE,
    );
    expect(verdicts.map((v) => v.status)).toEqual(
      users.map((_, i) => (i % 2 === 0 ? 'deliverable' : 'undeliverable')),
    );
    expect(verdicts.some((v) => v.reason === 'mailbox_full')).toBe(false);
    // 6 addresses + 1 catch-all probe, 2 per session
    expect(f.servers[0]?.sessions).toBe(4);
  });

  it('when the first MX refuses connections, then the next MX answers', async () => {
    const f = await setup([{ host: '127.0.0.3', behaviour: { knownUsers: ['alice'] } }], {
      'backup.test': {
        mx: [
          { preference: 10, exchange: 'mx.9.test' },
          { preference: 20, exchange: 'mx.3.test' },
        ],
      },
      'mx.9.test': { a: ['127.0.0.9'] }, // nothing listens there
      'mx.3.test': { a: ['127.0.0.3'] },
    });
    const v = await f.verifier.verify('alice@backup.test', LIVE);
    expect(v).toMatchObject({ status: 'deliverable', checks: { mx_host: 'mx.3.test' } });
  });

  it('when no MX host accepts a connection, then unknown / no_connect', async () => {
    const f = await setup([], mxZones({ 'dead.test': ['127.0.0.9', '127.0.0.10'] }));
    expect(await f.verifier.verify('x@dead.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'no_connect',
    });
  });

  it('when private addresses are not allowed, then an MX on loopback or 10/8 is never contacted', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      {
        ...mxZones({ 'loop.test': '127.0.0.2' }),
        'lan.test': { mx: [{ preference: 10, exchange: 'mx.lan.test' }] },
        'mx.lan.test': { a: ['10.0.0.5'] },
      },
      { smtp: { allowPrivate: false } },
    );
    expect(await f.verifier.verify('x@loop.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'no_connect',
      checks: { mx_found: true },
    });
    expect(await f.verifier.verify('x@lan.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'no_connect',
    });
    expect(f.servers[0]?.sessions).toBe(0);
  });

  it('when quick mode is asked, then no SMTP session is opened', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      mxZones({ 'quick.test': '127.0.0.2' }),
    );
    const v = await f.verifier.verify('jane@quick.test', QUICK);
    expect(v).toMatchObject({
      status: 'deliverable',
      reason: 'accepted_email',
      checks: { mx_found: true, smtp: null, catch_all: null },
    });
    expect(f.servers[0]?.sessions).toBe(0);
  });

  it('when the local part is UTF-8 and the server lacks SMTPUTF8, then unknown without a malformed RCPT', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      mxZones({ 'ascii.test': '127.0.0.2' }),
    );
    expect(await f.verifier.verify('josé@ascii.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'smtp_unavailable',
    });
    expect(f.servers[0]?.rcpts).toEqual([]);
  });

  it('when the syntax is invalid or the domain a literal, then nothing is resolved or probed', async () => {
    const f = await setup([{ host: '127.0.0.2', behaviour: { acceptAll: true } }], {});
    expect(await f.verifier.verify('not an address', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_syntax',
      checks: { syntax: false },
    });
    expect(await f.verifier.verify('root@[127.0.0.2]', LIVE)).toMatchObject({
      status: 'risky',
      reason: 'low_quality',
    });
    expect(f.dns.queries).toBe(0);
    expect(f.servers[0]?.sessions).toBe(0);
  });

  it('returns one verdict per input, in order, duplicates and other domains included', async () => {
    const f = await setup(
      [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      mxZones({ 'known.test': '127.0.0.2' }),
    );
    const verdicts = await f.verifier.verifyDomainGroup(
      'known.test',
      ['alice@known.test', 'bad@@known.test', 'bob@known.test', 'ALICE@known.test', 'x@gone.test'],
      LIVE,
    );
    expect(verdicts.map((v) => `${v.status}/${v.reason}`)).toEqual([
      'deliverable/accepted_email',
      'undeliverable/invalid_syntax',
      'undeliverable/rejected_email',
      'deliverable/accepted_email',
      'undeliverable/invalid_domain',
    ]);
    expect(f.servers[0]?.rcpts.filter((r) => r.toLowerCase() === 'alice@known.test')).toHaveLength(
      1,
    );
  });

  it('when the verifier closes, then sessions in flight end at once', async () => {
    const f = await setup(
      [{ host: '127.0.0.4', behaviour: { tarpit: true } }],
      mxZones({ 'tar.test': '127.0.0.4' }),
      {
        smtp: { timeoutMs: 20_000 },
      },
    );
    const work = f.verifier.verifyDomainGroup('tar.test', ['a@tar.test', 'b@tar.test'], LIVE);
    await f.servers[0]?.waitForSessions(1);
    const started = Date.now();
    await f.verifier.close();
    const verdicts = await work;
    expect(Date.now() - started).toBeLessThan(1000);
    for (const v of verdicts) expect(v.status).toBe('unknown');
  });
});
