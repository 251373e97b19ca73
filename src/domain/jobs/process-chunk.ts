import { setMaxListeners } from 'node:events';
import { findJob } from '../../data/jobs.repository.ts';
import {
  markProcessing,
  pendingRowsByIdx,
  pendingRowsInLegacyRange,
  pendingRowsInRange,
  type WorkKey,
  type WorkRow,
} from '../../data/results.repository.ts';
import type { Deps } from '../../deps.ts';
import { observeChunk } from '../../lib/work-metrics.ts';
import type { TaskPayload } from '../../queue/catalog.ts';
import type { Verdict, VerifyOptions } from '../../validation/types.ts';
import { lanesFor, planGroups, type WorkGroup } from './chunk-schedule.ts';
import { ChunkWriter, endIfDone } from './chunk-writer.ts';

export type ChunkDeps = Pick<Deps, 'db' | 'queues' | 'verifier' | 'config' | 'logger'>;

/** Addresses that wait for a provider's pause come back a little after it ends. */
const PAUSE_MARGIN_MS = 250;

/** How often a running chunk looks whether its job was deleted, to stop probing for it. */
const WATCH_MS = 1000;

const isLive = (job: Awaited<ReturnType<typeof findJob>>) =>
  !!job && !job.deletedAt && (job.status === 'queued' || job.status === 'processing');

/**
 * Aborts when the job stops being live (deleted, cancelled, ended elsewhere): in-flight probes
 * for it stop within about WATCH_MS instead of running to the next write.
 */
function watchJob(deps: ChunkDeps, jobId: string) {
  const gone = new AbortController();
  const timer = setInterval(() => {
    findJob(deps.db.prisma, jobId).then(
      (job) => {
        if (!isLive(job)) gone.abort();
      },
      (err: unknown) => deps.logger.debug({ err, jobId }, 'job watch failed'),
    );
  }, WATCH_MS);
  timer.unref();
  return { signal: gone.signal, stop: () => clearInterval(timer) };
}

/**
 * Verifies one chunk of a job: its unique addresses, a domain at a time. Idempotent: a re-run
 * (after a crash) skips addresses that have a result and writes each result once. Addresses that
 * got a temporary (4xx) answer are tried again later by a delayed chunk of their own.
 */
export async function processChunk(
  deps: ChunkDeps,
  payload: TaskPayload<'validate-chunk'>,
  signal?: AbortSignal,
): Promise<{ written: number; retried: number; skipped: boolean }> {
  const job = await findJob(deps.db.prisma, payload.jobId);
  if (!job || !isLive(job)) return { written: 0, retried: 0, skipped: true };
  const watch = watchJob(deps, job.id);
  try {
    return await observeChunk(job.mode, () =>
      verifyChunk(deps, payload, job, watch.signal, signal),
    );
  } finally {
    watch.stop();
  }
}

async function verifyChunk(
  deps: ChunkDeps,
  payload: TaskPayload<'validate-chunk'>,
  job: NonNullable<Awaited<ReturnType<typeof findJob>>>,
  jobGone: AbortSignal,
  signal?: AbortSignal,
): Promise<{ written: number; retried: number; skipped: boolean }> {
  const { db, config } = deps;
  await markProcessing(db.prisma, job.id);
  const rows = payload.retry
    ? await pendingRowsByIdx(db.prisma, job.id, payload.retry.idx)
    : await pendingRowsOfRange(deps, job, payload.from ?? null, payload.to ?? null);
  // A re-run with nothing left (its last flush committed, the worker died before the ending).
  if (rows.length === 0) await endIfDone(deps, job.id);

  const attempt = payload.retry?.attempt ?? 0;
  const waits = payload.retry?.waits ?? 0;
  const writer = new ChunkWriter(deps, job, job.quickMode ? Math.max(rows.length, 1) : undefined);
  /** Stops the chunk's groups still waiting for a lane: shutdown, job gone, a failed write. */
  const halt = new AbortController();
  const stop = AbortSignal.any([halt.signal, jobGone, ...(signal ? [signal] : [])]);
  setMaxListeners(0, stop); // each group waiting for a lane listens to it
  const options: VerifyOptions = {
    mode: job.mode === 'test' ? 'test' : 'live',
    smtp: job.smtp,
    quickMode: job.quickMode,
    signal: signal ? AbortSignal.any([signal, jobGone]) : jobGone,
  };
  const retry: number[] = [];
  // Addresses not probed because their provider paused the fleet (pacing): they wait it out.
  const wait: number[] = [];
  let waitMs = 0;
  /** One address's verdict, kept as soon as it is final (written with the next batch). */
  const take = (row: WorkRow, verdict: Verdict) => {
    // Verdicts that arrive after a stop (shutdown, job gone) may be cut short: never keep them.
    if (stop.aborted || writer.stopped) return;
    if (verdict.retryAfterMs !== undefined && waits < config.smtp.pacingMaxWaits) {
      wait.push(row.idx);
      waitMs = Math.max(waitMs, verdict.retryAfterMs);
    } else if (verdict.temporary && attempt < config.smtp.retryAttempts) retry.push(row.idx);
    else writer.add({ idx: row.idx, verdict });
  };

  const lanes = lanesFor(
    deps.verifier,
    config.jobs.sessionsInFlight,
    config.smtp.maxConnectionsPerHost,
  );
  const groups = planGroups(rows, config.smtp.maxConnectionsPerHost);
  const settled = await Promise.allSettled(
    groups.map((group) =>
      lanes
        .run(group.key, group.rows.length, () => verifyGroup(deps, group, options, take), stop)
        .catch((err: unknown) => {
          halt.abort(); // one group failed: the others stop too, the chunk runs again
          throw err;
        }),
    ),
  );
  await writer.close().catch((err: unknown) => {
    if (!settled.some((s) => s.status === 'rejected')) throw err;
  });
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const skipped = writer.jobEnded || jobGone.aborted;

  if (retry.length > 0 && !skipped) {
    await deps.queues.enqueue(
      'validate-chunk',
      {
        jobId: job.id,
        chunk: payload.chunk,
        retry: { attempt: attempt + 1, idx: retry, ...(waits > 0 ? { waits } : {}) },
      },
      { delay: config.smtp.retryDelayMs },
    );
  }
  if (wait.length > 0 && !skipped) {
    // The pause spends no attempt: the addresses are asked once the provider is ready again.
    await deps.queues.enqueue(
      'validate-chunk',
      { jobId: job.id, chunk: payload.chunk, retry: { attempt, idx: wait, waits: waits + 1 } },
      { delay: waitMs + PAUSE_MARGIN_MS },
    );
  }
  if (signal?.aborted && !skipped) throw new Error('shutting down; the chunk is handed back');
  return { written: writer.written, retried: retry.length + wait.length, skipped };
}

type LegacyKey = [domain: string, idx: number];
const isLegacy = (key: WorkKey | LegacyKey | null): key is LegacyKey =>
  typeof key?.[0] === 'string';

/**
 * The chunk's rows by its bounds: [hash, idx] pairs, or [domain, idx] in a task the release
 * before the hashed work order queued (the catalog refuses a task that mixes them).
 *
 * A quick-mode chunk takes its rows done or not: checking an address again is a DNS lookup the
 * resolver has cached, while looking each row up in results was 70 % of the read (27 against
 * 8 ms for 5,000 rows, EXPLAIN ANALYZE on a 1M job; 75-196 ms a chunk in a 1M bench run, whose
 * results were not vacuumed). A re-run's flush keeps the verdicts already written (the COPY
 * fails on them, the batch is inserted again row by row without them) and counts only the
 * rest. An SMTP chunk looks them up: a probe again would cost the servers' patience.
 */
function pendingRowsOfRange(
  deps: ChunkDeps,
  job: { id: string; quickMode: boolean },
  from: WorkKey | LegacyKey | null,
  to: WorkKey | LegacyKey | null,
): Promise<WorkRow[]> {
  const jobId = job.id;
  if (!isLegacy(from) && !isLegacy(to))
    return pendingRowsInRange(deps.db, jobId, from, to, { withResults: job.quickMode });
  if (from !== null && !isLegacy(from)) throw new Error('bounds of two work orders');
  if (to !== null && !isLegacy(to)) throw new Error('bounds of two work orders');
  return pendingRowsInLegacyRange(deps.db, jobId, from ?? ['', 0], to);
}

/** One group in a lane: each verdict goes to `take` as soon as the engine has it. */
async function verifyGroup(
  deps: ChunkDeps,
  group: WorkGroup,
  options: VerifyOptions,
  take: (row: WorkRow, verdict: Verdict) => void,
): Promise<void> {
  if (options.signal?.aborted) return;
  const [first] = group.rows as [WorkRow];
  if (group.rows.length === 1) {
    take(first, await deps.verifier.verify(first.email, options));
    return;
  }
  const told = new Set<number>();
  const verdicts = await deps.verifier.verifyDomainGroup(
    first.domain,
    group.rows.map((r) => r.email),
    {
      ...options,
      onVerdict: (i, verdict) => {
        told.add(i);
        take(group.rows[i]!, verdict);
      },
    },
  );
  // Anything the engine did not tell as it went (it tells every address today) is kept here.
  group.rows.forEach((row, i) => {
    if (!told.has(i)) take(row, verdicts[i]!);
  });
}
