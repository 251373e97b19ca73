import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import {
  api,
  jobWhen,
  startHarness,
  waitFor,
  type Harness,
  type TestAccount,
} from '../../support/harness.ts';
import { spawnWorker, stopProcess } from '../../support/processes.ts';

// Work done once (issue 13, point 5): a worker stopped by SIGTERM in the middle of a chunk keeps
// every verdict it had learnt, so the worker that takes the chunk over asks the MX only about
// the addresses that had no answer yet.
const REPLY_MS = 60;
const SESSIONS_PER_HOST = 2;
let h: Harness;
let acct: TestAccount;
let mail: Awaited<ReturnType<typeof startMailWorld>>;
let env: Record<string, string>;
const children: ChildProcess[] = [];
/** Every RCPT of a list address the server received, with when it arrived. */
const asked: { address: string; at: number }[] = [];

beforeAll(async () => {
  mail = await startMailWorld(
    [
      {
        host: '127.0.0.74',
        behaviour: {
          latencyMs: REPLY_MS,
          rcpt: (address) => {
            // The made-up catch-all address is refused: the list's mailboxes are deliverable.
            if (!address.startsWith('once')) return { code: 550, message: '5.1.1 User unknown' };
            asked.push({ address, at: Date.now() });
            return { code: 250, message: '2.1.5 Ok' };
          },
        },
      },
    ],
    { 'once.test': '127.0.0.74' },
  );
  env = {
    ...mail.env,
    SMTP_MAX_CONNECTIONS_PER_HOST: String(SESSIONS_PER_HOST),
    // One chunk: the stop falls in its middle, long before its end.
    CHUNK_SIZE: '500',
    // The default chunk lock (30 s): the stopped worker hands its chunk back itself, and a
    // short lock on a busy machine would let a chunk run twice at once (stalled, not stopped).
  };
  h = await startHarness(env);
  env = h.processEnv(env);
  acct = await h.account('business', 1000);
});
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  await h?.close();
  await mail?.close();
});

describe('a worker stopped by SIGTERM in the middle of a chunk', () => {
  it('when another worker finishes the job, then no address answered before the SIGTERM is asked again, and the results and the ledger are exact', async () => {
    const call = api(h.url, acct.live);
    const emails = Array.from({ length: 300 }, (_, i) => `once${i}@once.test`);
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    const jobId = created.json.id as string;

    // A short shutdown deadline: the chunk is cut and handed back while its sessions run.
    const first = spawnWorker({ ...env, SHUTDOWN_TIMEOUT_MS: '1000' });
    children.push(first);
    await waitFor(async () => asked.length >= 60, {
      what: '60 RCPTs',
      intervalMs: 10,
      timeoutMs: 90_000,
    });
    const sigtermAt = Date.now();
    expect(await stopProcess(first, 'SIGTERM')).toBe(0);
    // Answered before the SIGTERM: asked at least one reply's latency (and a margin for a busy
    // machine) before it, so the worker had the answer in hand when it was told to stop.
    const answered = new Set(
      asked.filter((r) => r.at <= sigtermAt - REPLY_MS - 250).map((r) => r.address),
    );
    expect(answered.size).toBeGreaterThan(20);
    const before = await call('GET', `/v1/jobs/${jobId}`);
    expect(before.json.status).toBe('processing');
    // Every one of them was kept by the stopped worker, not only the whole chunks it finished.
    expect(before.json.processed).toBeGreaterThanOrEqual(answered.size);
    expect(before.json.processed).toBeLessThan(300);

    const second = spawnWorker(env);
    children.push(second);
    const done = await jobWhen(call, jobId, 'completed', 90_000);

    const times = new Map<string, number>();
    for (const r of asked) times.set(r.address, (times.get(r.address) ?? 0) + 1);
    for (const address of answered)
      expect({ address, rcpts: times.get(address) }).toEqual({ address, rcpts: 1 });
    // Asked twice at most: the one RCPT each session had in flight when the chunk was cut.
    const twice = [...times.values()].filter((n) => n > 1);
    expect(twice.every((n) => n === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(SESSIONS_PER_HOST);
    expect(times.size).toBe(300);

    expect(done).toMatchObject({ total: 300, unique: 300, processed: 300, progress: 100 });
    expect(done.counts).toEqual({ deliverable: 300, undeliverable: 0, risky: 0, unknown: 0 });
    expect(await h.deps.db.prisma.result.count({ where: { job: { id: jobId } } })).toBe(300);
    expect(done.credits_charged).toBe(300);
    const account = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(account.creditBalance).toBe(1000 - 300);
    const lines = await h.deps.db.prisma.creditLedger.findMany({
      where: { accountId: acct.id, jobId },
      orderBy: { id: 'asc' },
    });
    expect(lines.map((l) => [l.kind, l.amount])).toEqual([['reserve', -300]]);

    expect(await stopProcess(second, 'SIGTERM')).toBe(0);
  }, 180_000);
});
