/**
 * Provider rules through real probes (providers.ts, probe.ts, pacing.ts): scripted SMTP servers
 * that answer like Gmail, Yahoo, Outlook.com / Microsoft 365 and Mimecast, reached through MX
 * names the provider table recognises, and a fleet-wide pause shared by two verifiers (two
 * workers) over the real Redis.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedMxZones } from '../../support/dns-server.ts';
import { waitFor } from '../../support/harness.ts';
import { createVerifier } from '../../../src/validation/engine.ts';
import { ProviderPacer } from '../../../src/validation/pacing.ts';
import type { Verifier } from '../../../src/validation/types.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';

const CATCH_ALL_PROBE = /^x[0-9a-f]{12}@/;
const logger = pino({ level: 'silent' });
let redis: Redis;
let f: EngineFixture;
let second: Verifier;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  f = await engineFixture({
    redis,
    smtp: { pacing: { baseMs: 30_000, maxMs: 60_000 } },
    servers: [
      { host: '127.0.0.61', behaviour: { knownUsers: ['ann'] } },
      { host: '127.0.0.62', behaviour: { acceptAll: true } },
      {
        host: '127.0.0.63',
        behaviour: {
          // Outlook.com: one transaction holds the recipients of one region only.
          rcpt: (address, ctx) =>
            ctx.rcptInSession > 1
              ? { code: 452, message: '4.5.3 Recipients belong to multiple regions ATTR38' }
              : address.startsWith('zed@')
                ? { code: 550, message: '5.5.0 Requested action not taken: mailbox unavailable' }
                : { code: 250, message: '2.1.5 Recipient OK' },
        },
      },
      {
        host: '127.0.0.64',
        behaviour: {
          rcpt: (address, ctx) =>
            ctx.rcptInSession > 1
              ? { code: 452, message: '4.3.1 Insufficient system resources (TSTE)' }
              : { code: 250, message: '2.1.5 Recipient OK' },
        },
      },
      {
        host: '127.0.0.65',
        behaviour: {
          // Mimecast with recipient validation: unknown addresses get its default 451 deferral.
          rcpt: (address) =>
            address.startsWith('ann@')
              ? { code: 250, message: 'Recipient OK' }
              : {
                  code: 451,
                  message: 'Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#451',
                },
        },
      },
      // Mimecast set to "Accept Any Address".
      { host: '127.0.0.68', behaviour: { acceptAll: true } },
      {
        host: '127.0.0.66',
        behaviour: {
          rcpt: (_address, ctx) =>
            ctx.session === 1
              ? {
                  code: 421,
                  message:
                    '4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail has been temporarily rate limited.',
                }
              : { code: 250, message: '2.1.5 OK' },
        },
      },
    ],
    zones: namedMxZones({
      'gmail.test': ['gmail-smtp-in.l.google.com', '127.0.0.61'],
      'yahoo.test': ['mta5.am0.yahoodns.net', '127.0.0.62'],
      'hotmail.test': ['hotmail-com.olc.protection.outlook.com', '127.0.0.63'],
      'm365.test': ['contoso-test.mail.protection.outlook.com', '127.0.0.64'],
      'mimecast.test': ['us-smtp-inbound-1.mimecast.com', '127.0.0.65'],
      'anyaddr.test': ['eu-smtp-inbound-2.mimecast.com', '127.0.0.68'],
      'thr-a.test': ['aspmx.l.google.com', '127.0.0.66'],
      'thr-b.test': ['alt1.aspmx.l.google.com', '127.0.0.66'],
    }),
  });
  // A second worker: its own verifier, the same Redis and key prefix as the first.
  second = createVerifier(f.config, { redis, logger, keyPrefix: f.keyPrefix });
});

afterAll(async () => {
  await second?.close();
  await f?.close();
  const keys = await redis.keys(`${f.keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const server = (host: string) => f.servers.find((s) => s.host === host)!;

describe('provider rules in live probes', () => {
  it('at Gmail, believes RCPT and never sends the catch-all probe', async () => {
    const [ann, zed] = await f.verifier.verifyDomainGroup(
      'gmail.test',
      ['ann@gmail.test', 'zed@gmail.test'],
      LIVE,
    );
    expect(ann).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(ann!.checks).toMatchObject({ provider: 'google', gateway: null, catch_all: false });
    expect(zed).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    expect(server('127.0.0.61').rcpts).toEqual(['ann@gmail.test', 'zed@gmail.test']);
  });

  it('at Yahoo, an accepted address is risky / catch_all, without a made-up RCPT', async () => {
    const v = await f.verifier.verify('nobody-at-all@yahoo.test', LIVE);
    expect(v).toMatchObject({ status: 'risky', reason: 'catch_all' });
    expect(v.checks).toMatchObject({ provider: 'yahoo', catch_all: true });
    expect(v.checks.smtp).toMatchObject({ code: 250 });
    expect(server('127.0.0.62').rcpts).toEqual(['nobody-at-all@yahoo.test']);
  });

  it('at Outlook.com, "452 4.5.3 Recipients belong to multiple regions" opens a new session', async () => {
    const emails = ['ann@hotmail.test', 'bob@hotmail.test', 'zed@hotmail.test'];
    const verdicts = await f.verifier.verifyDomainGroup('hotmail.test', emails, LIVE);
    expect(verdicts.map((v) => [v.status, v.reason])).toEqual([
      ['deliverable', 'accepted_email'],
      ['deliverable', 'accepted_email'],
      ['undeliverable', 'rejected_email'],
    ]);
    expect(verdicts[0]!.checks.provider).toBe('microsoft');
    expect(server('127.0.0.63').sessions).toBe(3);
  });

  it('at Microsoft 365, any 452 opens a new session rather than failing the address', async () => {
    const emails = ['ann@m365.test', 'bob@m365.test', 'cy@m365.test'];
    const verdicts = await f.verifier.verifyDomainGroup('m365.test', emails, LIVE);
    for (const v of verdicts) expect(v).toMatchObject({ status: 'deliverable', temporary: false });
    // The catch-all probe met the 452 too: not known, asked again another time.
    expect(verdicts[0]!.checks.catch_all).toBeNull();
    expect(server('127.0.0.64').sessions).toBe(3);
  });

  it('behind Mimecast, a made-up address deferred as "Invalid Recipient" means not a catch-all', async () => {
    const [ann, zed] = await f.verifier.verifyDomainGroup(
      'mimecast.test',
      ['ann@mimecast.test', 'zed@mimecast.test'],
      LIVE,
    );
    expect(ann).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(ann!.checks).toMatchObject({ gateway: 'mimecast', provider: null, catch_all: false });
    // The unknown one is deferred: temporary, never undeliverable on a 4xx.
    expect(zed).toMatchObject({ status: 'unknown', reason: 'greylisted', temporary: true });
    expect(server('127.0.0.65').rcpts.filter((r) => CATCH_ALL_PROBE.test(r))).toHaveLength(1);
  });

  it('behind a Mimecast domain that accepts any address, an accepted address is risky / catch_all', async () => {
    const v = await f.verifier.verify('ann@anyaddr.test', LIVE);
    expect(v).toMatchObject({ status: 'risky', reason: 'catch_all' });
    expect(v.checks).toMatchObject({ gateway: 'mimecast', catch_all: true });
  });
});

describe('pacing per provider', () => {
  it('when Google throttles one worker, then another worker probing another Google domain waits without connecting', async () => {
    const gmail = server('127.0.0.66');
    const first = await f.verifier.verify('ann@thr-a.test', LIVE);
    expect(first).toMatchObject({ status: 'unknown', temporary: true });
    expect(first.checks.smtp).toMatchObject({ code: 421 });
    expect(gmail.sessions).toBe(1);
    const key = `${f.keyPrefix}smtp:pause:{service:google}`;
    expect(await redis.pttl(key)).toBeGreaterThan(0);

    const other = await second.verify('bob@thr-b.test', LIVE);
    expect(other).toMatchObject({ status: 'unknown', reason: 'greylisted', temporary: true });
    expect(other.retryAfterMs).toBeGreaterThan(0);
    expect(other.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(other.checks).toMatchObject({ provider: 'google', smtp: null });
    // Nobody knocked on Google's door during the pause.
    expect(gmail.sessions).toBe(1);
    expect(gmail.rcpts).toEqual(['ann@thr-a.test']);
  });

  it.each([
    ['Redis', () => redis],
    ['in-process', () => null],
  ])(
    'doubles the pause each time the provider throttles again, up to the maximum (%s)',
    async (_n, r) => {
      const pacer = new ProviderPacer(
        r(),
        `${f.keyPrefix}backoff:${_n}:`,
        { baseMs: 200, maxMs: 700 },
        logger,
      );
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        seen.push(await pacer.pause('service:test'));
        // Throttled again while paused (another session hit the same wall): no escalation.
        expect(await pacer.pause('service:test')).toBeLessThanOrEqual(seen[i]!);
        expect(await pacer.pausedFor('service:test')).toBeGreaterThan(0);
        await waitFor(async () => (await pacer.pausedFor('service:test')) === 0, {
          timeoutMs: 5000,
          what: 'the pause to end',
        });
      }
      expect(seen).toEqual([200, 400, 700, 700]);
    },
  );
});
