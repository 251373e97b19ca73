/**
 * The engine against real MTAs from Debian (test/support/mta.ts, installed by
 * .ci/services/mta.sh): Postfix with its default error limits, Postfix behind postscreen,
 * Postfix refusing a non-FQDN HELO, Exim (plain, and with a dictionary-attack guard) and
 * OpenSMTPD, each a private instance on its own loopback address, all on one port. Asserted:
 * verdicts, sessions, and the MTAs' own logs (QUIT sent, no DATA, no error-limit disconnects).
 * The job-level drills (100 unknown users, postgrey) are in test/integration/http/jobs-real-mta.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import {
  mtasMissing,
  postfixSessions,
  startExim,
  startOpenSmtpd,
  startPostfix,
  stopAllMtas,
  type MtaHandle,
} from '../../support/mta.ts';
import { findFreePort } from '../../support/smtp-server.ts';
import {
  engineFixture,
  LIVE,
  type EngineFixture,
  type FixtureOptions,
} from '../../support/engine-harness.ts';

const HOSTS = {
  postfix: '127.0.0.231',
  postscreen: '127.0.0.232',
  helo: '127.0.0.233',
  exim: '127.0.0.234',
  eximGuard: '127.0.0.235',
  opensmtpd: '127.0.0.236',
};
const ZONES = mxZones({
  'postfix.test': HOSTS.postfix,
  'screen.test': HOSTS.postscreen,
  'helo.test': HOSTS.helo,
  'exim.test': HOSTS.exim,
  'guard.test': HOSTS.eximGuard,
  'opensmtpd.test': HOSTS.opensmtpd,
});

let port = 0;
const mta: Record<keyof typeof HOSTS, MtaHandle> = {} as never;
let fixture: EngineFixture | null = null;

beforeAll(async () => {
  const missing = mtasMissing();
  if (missing) throw new Error(`real MTAs cannot run: ${missing}`);
  port = await findFreePort(Object.values(HOSTS));
  const started = await Promise.allSettled([
    startPostfix({ host: HOSTS.postfix, port, domain: 'postfix.test', users: ['alice', 'bob'] }),
    startPostfix({
      host: HOSTS.postscreen,
      port,
      domain: 'screen.test',
      users: ['carol'],
      postscreen: true,
    }),
    startPostfix({
      host: HOSTS.helo,
      port,
      domain: 'helo.test',
      users: ['alice'],
      rejectNonFqdnHelo: true,
    }),
    startExim({ host: HOSTS.exim, port, domain: 'exim.test', users: ['alice'] }),
    startExim({
      host: HOSTS.eximGuard,
      port,
      domain: 'guard.test',
      users: [],
      dropAfterFailedRcpts: 2,
    }),
    startOpenSmtpd({ host: HOSTS.opensmtpd, port, domain: 'opensmtpd.test', users: ['alice'] }),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed?.status === 'rejected') throw failed.reason;
  const names = Object.keys(HOSTS) as (keyof typeof HOSTS)[];
  started.forEach((s, i) => {
    mta[names[i]!] = (s as PromiseFulfilledResult<MtaHandle>).value;
  });
}, 180_000);

afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

afterAll(async () => {
  await Promise.all(Object.values(mta).map((m) => m.close()));
  await stopAllMtas();
}, 60_000);

async function verifier(smtp: FixtureOptions['smtp'] = {}) {
  // Generous deadlines: Postfix sleeps 1 s per reply past its soft error limit, the machine is loaded.
  fixture = await engineFixture({ zones: ZONES, smtp: { port, timeoutMs: 30_000, ...smtp } });
  return fixture.verifier;
}

const dead = (n: number, domain: string) =>
  Array.from({ length: n }, (_, i) => `gone${i}@${domain}`);
const verdictsOf = (vs: { status: string; reason: string }[]) =>
  vs.map((v) => `${v.status}/${v.reason}`);
const count = (log: string, re: RegExp) => [...log.matchAll(re)].length;

describe('Postfix with its default error limits (soft 10, hard 20)', () => {
  it('when 30 of 32 addresses are unknown, then every verdict comes in sessions of at most 5 rejections, each ended by QUIT', async () => {
    const v = await verifier();
    const emails = ['alice@postfix.test', 'bob@postfix.test', ...dead(30, 'postfix.test')];
    const verdicts = await v.verifyDomainGroup('postfix.test', emails, LIVE);
    expect(verdictsOf(verdicts)).toEqual([
      'deliverable/accepted_email',
      'deliverable/accepted_email',
      ...Array(30).fill('undeliverable/rejected_email'),
    ]);
    expect(verdicts[0]!.checks.catch_all).toBe(false);
    expect(verdicts[2]!.checks.smtp).toMatchObject({ code: 550, enhanced_code: '5.1.1' });
    const pf = mta.postfix;
    await pf.waitForLog(/(disconnect from[^\n]*\n[^]*){7}/);
    const sessions = postfixSessions(pf.log());
    // alice, the catch-all probe (rejected), bob, 4 dead = 5 rejections; then 5 x 5 and 1.
    expect(sessions.map((s) => s.rcptSent - s.rcptAccepted)).toEqual([5, 5, 5, 5, 5, 5, 1]);
    expect(sessions.every((s) => s.quit && !s.data)).toBe(true);
    expect(pf.log()).not.toMatch(/too many errors/i);
    expect(pf.log()).not.toMatch(/ 421 /);
  });

  it('when the session limit is lifted (50), then Postfix hangs up with 421 too many errors and the rest still get their verdicts in new sessions', async () => {
    const v = await verifier({ maxRejectionsPerSession: 50 });
    const before = postfixSessions(mta.postfix.log()).length;
    const verdicts = await v.verifyDomainGroup('postfix.test', dead(25, 'postfix.test'), LIVE);
    expect(verdictsOf(verdicts)).toEqual(Array(25).fill('undeliverable/rejected_email'));
    expect(verdicts.every((x) => !x.temporary)).toBe(true);
    await mta.postfix.waitForLog(/too many errors after RCPT/);
    // 20 rejections, Postfix's 421, then the others in a second session. Pipelined (Postfix
    // offers PIPELINING), the catch-all RCPT goes beside the first address and is one of the 20:
    // 6 addresses are left for the second session.
    await mta.postfix.waitForLog(new RegExp(`(disconnect from[^\\n]*\\n[^]*){${before + 2}}`));
    const sessions = postfixSessions(mta.postfix.log()).slice(before);
    expect(sessions.map((s) => s.rcptSent)).toEqual([20, 6]);
    expect(mta.postfix.log()).not.toMatch(/improper command pipelining/);
  }, 120_000);

  it('when postscreen stands in front, then the probe passes its pregreet test and gets the verdicts', async () => {
    const v = await verifier();
    const emails = ['carol@screen.test', ...dead(3, 'screen.test')];
    const verdicts = await v.verifyDomainGroup('screen.test', emails, LIVE);
    expect(verdictsOf(verdicts)).toEqual([
      'deliverable/accepted_email',
      ...Array(3).fill('undeliverable/rejected_email'),
    ]);
    const ps = mta.postscreen;
    await ps.waitForLog(/disconnect from/);
    expect(ps.log()).toMatch(/postscreen\[\d+\]: PASS NEW \[127\.0\.0\.1\]/);
    expect(ps.log()).not.toMatch(/PREGREET/);
    expect(postfixSessions(ps.log())).toEqual([
      expect.objectContaining({ quit: true, data: false }),
    ]);
  });

  it('when EHLO is refused with a policy 504 (non-FQDN HELO), then unknown/blocked and no HELO retry', async () => {
    const v = await verifier({ heloName: 'probe', mailFrom: 'verify@probe.mailsift.test' });
    const verdict = await v.verify('alice@helo.test', LIVE);
    expect(verdict).toMatchObject({ status: 'unknown', reason: 'blocked', temporary: false });
    expect(verdict.checks.smtp).toMatchObject({ code: 504, enhanced_code: '5.5.2' });
    expect(verdict.checks.smtp?.message).toMatch(/Helo command rejected/);
    await mta.helo.waitForLog(/disconnect from/);
    expect(mta.helo.log()).toMatch(/reject: EHLO from \S+: 504 5\.5\.2 <probe>/);
    const [session] = postfixSessions(mta.helo.log());
    expect(session?.line).toMatch(/\behlo=0\/1\b/);
    expect(session?.line).not.toMatch(/\bhelo=|mail=|rcpt=/);
    expect(session?.quit).toBe(true);
  });
});

describe('Exim', () => {
  it('when 12 of 13 addresses are unknown, then "Unrouteable address" is rejected_email, in 3 sessions ended by QUIT, no message taken', async () => {
    const v = await verifier();
    const verdicts = await v.verifyDomainGroup(
      'exim.test',
      ['alice@exim.test', ...dead(12, 'exim.test')],
      LIVE,
    );
    expect(verdictsOf(verdicts)).toEqual([
      'deliverable/accepted_email',
      ...Array(12).fill('undeliverable/rejected_email'),
    ]);
    expect(verdicts[1]!.checks.smtp).toMatchObject({ code: 550, message: 'Unrouteable address' });
    const ex = mta.exim;
    await ex.waitForLog(/(closed by QUIT[^]*){3}/);
    const log = ex.log();
    expect(count(log, /SMTP connection from \[127\.0\.0\.1\]/g)).toBe(3);
    expect(count(log, /closed by QUIT/g)).toBe(3);
    expect(count(log, /rejected RCPT/g)).toBe(13); // 12 dead and the catch-all probe
    expect(log).not.toMatch(/ <= /); // no message received: never DATA
  });

  it('when an Exim ACL drops the session after 2 failed recipients, then each dropped address is asked again in a new session', async () => {
    const v = await verifier();
    const verdicts = await v.verifyDomainGroup('guard.test', dead(7, 'guard.test'), LIVE);
    expect(verdictsOf(verdicts)).toEqual(Array(7).fill('undeliverable/rejected_email'));
    const ex = mta.eximGuard;
    // 3 rejected + the dropped 4th per session: 3, 3, then 1.
    await ex.waitForLog(/(SMTP connection from \[127\.0\.0\.1\][^]*){3}/);
    await ex.waitForLog(/closed by QUIT/);
    const log = ex.log();
    expect(count(log, /SMTP connection from \[127\.0\.0\.1\]/g)).toBe(3);
    expect(count(log, /Too many unknown recipients/g)).toBe(2);
    expect(log).not.toMatch(/ <= /);
  });
});

describe('OpenSMTPD', () => {
  it('when users are unknown in its virtual table, then its 524 5.2.4 is rejected_email', async () => {
    const v = await verifier();
    const verdicts = await v.verifyDomainGroup(
      'opensmtpd.test',
      ['alice@opensmtpd.test', ...dead(7, 'opensmtpd.test')],
      LIVE,
    );
    expect(verdictsOf(verdicts)).toEqual([
      'deliverable/accepted_email',
      ...Array(7).fill('undeliverable/rejected_email'),
    ]);
    expect(verdicts[0]!.checks.catch_all).toBe(false);
    expect(verdicts[1]!.checks.smtp).toMatchObject({ code: 524, enhanced_code: '5.2.4' });
    const os = mta.opensmtpd;
    await os.waitForLog(/(disconnected reason=quit[^]*){2}/);
    const log = os.log();
    // alice, the catch-all probe and 4 dead (5 rejections), then 3.
    expect(count(log, /smtp connected address=127\.0\.0\.1/g)).toBe(2);
    expect(count(log, /smtp disconnected reason=quit/g)).toBe(2);
    expect(count(log, /result="524 5\.2\.4/g)).toBe(8);
    expect(log).not.toMatch(/smtp message|DATA/);
  });
});
