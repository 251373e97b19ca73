/**
 * Whole jobs against a real Postfix from Debian (test/support/mta.ts): a domain of 100 unknown
 * users gets every verdict in one job with default settings (no retry, no error-limit
 * disconnect), and postgrey's greylisting is waited out by the job's retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { api, jobWhen, useHarness, useAccount } from '../../support/harness.ts';
import {
  mtasMissing,
  postfixSessions,
  startPostfix,
  startPostgrey,
  stopAllMtas,
  type MtaHandle,
} from '../../support/mta.ts';
import { findFreePort } from '../../support/smtp-server.ts';

const HUNDRED = '127.0.0.241';
const GREY = '127.0.0.242';

let port = 0;
let dns: DnsServer;
let hundred: MtaHandle;
let grey: MtaHandle;
let postgrey: MtaHandle;

beforeAll(async () => {
  const missing = mtasMissing();
  if (missing) throw new Error(`real MTAs cannot run: ${missing}`);
  port = await findFreePort([HUNDRED, GREY]);
  const policyPort = await findFreePort(['127.0.0.1']);
  const pg = await startPostgrey({ port: policyPort, delaySeconds: 1 });
  postgrey = pg;
  [hundred, grey] = await Promise.all([
    startPostfix({ host: HUNDRED, port, domain: 'hundred.test', users: ['alice', 'bob'] }),
    startPostfix({ host: GREY, port, domain: 'grey.test', users: ['alice', 'bob'], postgrey: pg }),
  ]);
  dns = await startDnsServer(mxZones({ 'hundred.test': HUNDRED, 'grey.test': GREY }));
}, 180_000);

afterAll(async () => {
  await Promise.all([hundred?.close(), grey?.close(), postgrey?.close(), dns?.close()]);
  await stopAllMtas();
}, 60_000);

const mailEnv = () => ({
  DNS_SERVERS: dns.address,
  SMTP_PORT: String(port),
  SMTP_ALLOW_PRIVATE: 'true',
});

describe('a job against Postfix with its default error limits', () => {
  // Default settings: only where the mail servers are. A retry would wait SMTP_RETRY_DELAY_MS
  // (5 minutes), so a job that completes here had no address deferred.
  const h = useHarness(() => mailEnv(), { workers: true });
  const acct = useAccount(h, 'business', 1000);

  it('when 100 of 102 addresses are unknown users, then every one gets its verdict in the job, in sessions of at most 5 rejections', async () => {
    const call = api(h.url, acct.live);
    const dead = Array.from({ length: 100 }, (_, i) => `former.employee${i}@hundred.test`);
    const emails = ['alice@hundred.test', 'bob@hundred.test', ...dead];
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    const done = await jobWhen(call, created.json.id, 'completed', 180_000);
    const results = (await call('GET', `/v1/jobs/${created.json.id}/results?limit=200`)).json.data;
    expect(results).toHaveLength(102);
    const byEmail = new Map(results.map((r: any) => [r.email, `${r.status}/${r.reason}`]));
    expect(byEmail.get('alice@hundred.test')).toBe('deliverable/accepted_email');
    expect(byEmail.get('bob@hundred.test')).toBe('deliverable/accepted_email');
    for (const e of dead) expect(byEmail.get(e)).toBe('undeliverable/rejected_email');
    expect(done.credits_charged).toBe(102);

    // Postfix's own log: 21 sessions (alice, the catch-all probe, bob and 4 dead; then 5 per
    // session), each ended by QUIT, never DATA, never its error limit. On a loaded machine BullMQ
    // may run the chunk a second time (a stalled lock): that pass knows the domain is not
    // catch-all, so it adds exactly 20 sessions (alice, bob and 5 dead; then 5 per session).
    await hundred.waitForLog(/(disconnect from[^\n]*\n[^]*){21}/, 60_000);
    if (postfixSessions(hundred.log()).length > 21) {
      await hundred.waitForLog(/(disconnect from[^\n]*\n[^]*){41}/, 60_000);
    }
    const sessions = postfixSessions(hundred.log());
    const passes = sessions.length === 21 ? 1 : 2;
    expect(sessions).toHaveLength(passes === 1 ? 21 : 41);
    expect(sessions.reduce((n, s) => n + s.rcptSent, 0)).toBe(passes === 1 ? 103 : 205);
    expect(Math.max(...sessions.map((s) => s.rcptSent - s.rcptAccepted))).toBe(5);
    expect(sessions.every((s) => s.quit && !s.data)).toBe(true);
    expect(hundred.log()).not.toMatch(/too many errors/i);
    expect(hundred.log()).not.toMatch(/ 421 /);
  }, 240_000);
});

describe('a job against Postfix with postgrey', () => {
  // postgrey lets a triplet through after 1 s; the job's retry comes 3 s after the first try.
  const h = useHarness(
    () => ({ ...mailEnv(), SMTP_RETRY_ATTEMPTS: '2', SMTP_RETRY_DELAY_MS: '3000' }),
    { workers: true },
  );
  const acct = useAccount(h, 'business', 1000);

  it('when postgrey defers every new recipient, then the retry gets the real answers and the domain is not called catch-all', async () => {
    const call = api(h.url, acct.live);
    const emails = ['alice@grey.test', 'bob@grey.test', 'carol@grey.test'];
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id, 'completed', 120_000);
    const results = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    expect(results.map((r: any) => [r.email, r.status, r.reason])).toEqual([
      ['alice@grey.test', 'deliverable', 'accepted_email'],
      ['bob@grey.test', 'deliverable', 'accepted_email'],
      ['carol@grey.test', 'undeliverable', 'rejected_email'],
    ]);
    expect(results[0].checks.catch_all).toBe(false);

    const log = grey.log();
    expect(log).toMatch(/450 4\.2\.0 <alice@grey\.test>: Recipient address rejected: Greylisted/);
    expect(postgrey.log()).toMatch(/action=greylist, reason=new/);
    expect(postgrey.log()).toMatch(/action=pass, reason=triplet found/);
    const sessions = postfixSessions(log);
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions.every((s) => s.quit && !s.data)).toBe(true);
    expect(log).not.toMatch(/too many errors/i);
  }, 180_000);
});
