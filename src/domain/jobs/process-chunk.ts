import { addJobWarnings, findJob } from '../../data/jobs.repository.ts';
import {
  markProcessing,
  pendingRowsByIdx,
  pendingRowsInRange,
  type WorkRow,
} from '../../data/results.repository.ts';
import type { Deps } from '../../deps.ts';
import { countVerdicts, observeChunk } from '../../lib/work-metrics.ts';
import type { TaskPayload } from '../../queue/catalog.ts';
import type { NetworkWarning, Verdict, VerifyOptions } from '../../validation/types.ts';
import { writeVerdicts } from '../../data/verdicts.writer.ts';
import { completeIfDone } from './settle-job.ts';
import { onJobEnded } from './job-ended.ts';

export type ChunkDeps = Pick<Deps, 'db' | 'queues' | 'verifier' | 'config' | 'logger'>;

/** Domains verified at once inside one chunk; each may hold an SMTP session. */
const GROUP_CONCURRENCY = 4;
/**
 * Write results once this many are waiting, or once the oldest has waited FLUSH_MS: big batches
 * for throughput (quick mode writes a whole chunk at once), and verdicts kept as they are learnt
 * when probes are slow, so `processed` grows while a chunk runs and a chunk taken over after a
 * stop re-probes little.
 */
const FLUSH_ROWS = 500;
const FLUSH_MS = 1000;
/** Addresses that wait for a provider's pause come back a little after it ends. */
const PAUSE_MARGIN_MS = 250;
/** What a job's `warnings` say about each kind of network trouble (docs/network.md). */
const WARNING_TEXT: Record<NetworkWarning, string> = {
  dns_unhealthy:
    'Our DNS resolver failed its canary checks; the affected addresses are unknown (dns_error) and refunded, not undeliverable.',
  smtp_blocked:
    'Outbound SMTP (port 25) is not reachable from the probing host; the affected addresses are unknown (no_connect) and refunded.',
  proxy_failed:
    'A SOCKS proxy used for probing failed; the affected addresses are unknown (no_connect) and refunded.',
};

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

function groupByDomain(rows: WorkRow[]): WorkRow[][] {
  const groups = new Map<string, WorkRow[]>();
  const singles: WorkRow[][] = [];
  for (const row of rows) {
    // Invalid syntax has no domain to share: each such row is verified alone.
    if (!row.syntax_valid || row.domain === '') {
      singles.push([row]);
      continue;
    }
    const group = groups.get(row.domain);
    if (group) group.push(row);
    else groups.set(row.domain, [row]);
  }
  return [...singles, ...groups.values()];
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
    : await pendingRowsInRange(db.prisma, job.id, payload.from ?? ['', 0], payload.to ?? null);

  const attempt = payload.retry?.attempt ?? 0;
  const waits = payload.retry?.waits ?? 0;
  const options: VerifyOptions = {
    mode: job.mode === 'test' ? 'test' : 'live',
    smtp: job.smtp,
    quickMode: job.quickMode,
    signal: signal ? AbortSignal.any([signal, jobGone]) : jobGone,
  };
  const pending: { idx: number; verdict: Verdict }[] = [];
  const retry: number[] = [];
  // Addresses not probed because their provider paused the fleet (pacing): they wait it out.
  const wait: number[] = [];
  let waitMs = 0;
  let written = 0;
  let stopped = false;

  let oldest = 0;
  const flush = async () => {
    if (pending.length === 0 || stopped) return;
    const batch = pending.splice(0, pending.length);
    const progress = await writeVerdicts(db, job, batch);
    if (!progress) {
      stopped = true; // deleted or cancelled meanwhile: in-flight work stops here
      return;
    }
    written += batch.length;
    countVerdicts('job', job.mode, batch);
    // Network trouble on our side (docs/network.md): the job says so, each kind once.
    const met = [...new Set(batch.flatMap((r) => (r.verdict.warning ? [r.verdict.warning] : [])))];
    if (met.length > 0)
      await addJobWarnings(
        db.prisma,
        job.id,
        met.map((code) => ({ code, message: WARNING_TEXT[code] })),
      );
    if (progress.processed >= progress.total && (await completeIfDone(deps, job.id))) {
      await onJobEnded(deps, job.id);
    }
  };

  // A re-run with nothing left (its last flush committed, the worker died before the ending).
  if (rows.length === 0 && (await completeIfDone(deps, job.id))) {
    await onJobEnded(deps, job.id);
  }
  const groups = groupByDomain(rows);
  let next = 0;
  const runLane = async () => {
    while (next < groups.length && !stopped && !signal?.aborted) {
      if (jobGone.aborted) {
        stopped = true;
        return;
      }
      const group = groups[next++]!;
      const verdicts =
        group.length === 1
          ? [await deps.verifier.verify(group[0]!.email, options)]
          : await deps.verifier.verifyDomainGroup(
              group[0]!.domain,
              group.map((r) => r.email),
              options,
            );
      // Verdicts that arrive after a stop (shutdown, job gone) may be cut short: never keep them.
      if (signal?.aborted || stopped || jobGone.aborted) {
        if (jobGone.aborted) stopped = true;
        return;
      }
      group.forEach((row, i) => {
        const verdict = verdicts[i]!;
        if (verdict.retryAfterMs !== undefined && waits < config.smtp.pacingMaxWaits) {
          wait.push(row.idx);
          waitMs = Math.max(waitMs, verdict.retryAfterMs);
        } else if (verdict.temporary && attempt < config.smtp.retryAttempts) retry.push(row.idx);
        else {
          if (pending.length === 0) oldest = Date.now();
          pending.push({ idx: row.idx, verdict });
        }
      });
      if (pending.length >= FLUSH_ROWS || (pending.length > 0 && Date.now() - oldest >= FLUSH_MS))
        await flush();
    }
  };
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(GROUP_CONCURRENCY, groups.length) }, () =>
      runLane().catch((err: unknown) => {
        stopped = true; // one lane failed: the others stop too, the chunk runs again
        throw err;
      }),
    ),
  );
  const failed = lanes.find((l) => l.status === 'rejected');
  if (failed) throw failed.reason;
  await flush();

  if (retry.length > 0 && !stopped) {
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
  if (wait.length > 0 && !stopped) {
    // The pause spends no attempt: the addresses are asked once the provider is ready again.
    await deps.queues.enqueue(
      'validate-chunk',
      { jobId: job.id, chunk: payload.chunk, retry: { attempt, idx: wait, waits: waits + 1 } },
      { delay: waitMs + PAUSE_MARGIN_MS },
    );
  }
  if (signal?.aborted && !stopped) throw new Error('shutting down; the chunk is handed back');
  return { written, retried: retry.length + wait.length, skipped: stopped };
}
