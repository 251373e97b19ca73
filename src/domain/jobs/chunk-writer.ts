import { addJobWarnings } from '../../data/jobs.repository.ts';
import { writeVerdicts, type JobRef, type VerdictRow } from '../../data/verdicts.writer.ts';
import type { Deps } from '../../deps.ts';
import { countVerdicts } from '../../lib/work-metrics.ts';
import type { NetworkWarning } from '../../validation/types.ts';
import { onJobEnded } from './job-ended.ts';
import { completeIfDone } from './settle-job.ts';

/**
 * The chunk flush: verdicts kept as they are learnt, written in batches of FLUSH_ROWS or
 * whatever waited FLUSH_MS (big batches for throughput, a quick-mode chunk in one; slow SMTP
 * answers kept within about a second, so a chunk taken over after a stop re-probes only what
 * was not answered). One write at a time per chunk; the flush that completes the job ends it.
 */

export type FlushDeps = Pick<Deps, 'db' | 'queues' | 'config' | 'logger'>;

export const FLUSH_ROWS = 500;
export const FLUSH_MS = 1000;

/** What a job's `warnings` say about each kind of network trouble (docs/network.md). */
const WARNING_TEXT: Record<NetworkWarning, string> = {
  dns_unhealthy:
    'Our DNS resolver failed its canary checks; the affected addresses are unknown (dns_error) and refunded, not undeliverable.',
  smtp_blocked:
    'Outbound SMTP (port 25) is not reachable from the probing host; the affected addresses are unknown (no_connect) and refunded.',
  proxy_failed:
    'A SOCKS proxy used for probing failed; the affected addresses are unknown (no_connect) and refunded.',
};

export class ChunkWriter {
  private pending: VerdictRow[] = [];
  private oldest = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  /** The first write that failed: the chunk stops and runs again. */
  failure: unknown = null;
  /** The job is no longer live (deleted, cancelled): nothing more is kept. */
  jobEnded = false;
  written = 0;

  /**
   * `flushRows`: the batch size (default FLUSH_ROWS). A quick-mode chunk passes its whole size:
   * its verdicts come at CPU speed, so one transaction per chunk (unless one waited FLUSH_MS).
   */
  constructor(
    private readonly deps: FlushDeps,
    private readonly job: JobRef,
    private readonly flushRows = FLUSH_ROWS,
  ) {
    this.timer = setInterval(() => {
      if (this.pending.length > 0 && Date.now() - this.oldest >= FLUSH_MS) this.flushSoon();
    }, FLUSH_MS / 4);
    this.timer.unref();
  }

  /** Nothing more will be kept: the job ended or a write failed. */
  get stopped(): boolean {
    return this.jobEnded || this.failure !== null;
  }

  add(row: VerdictRow): void {
    if (this.pending.length === 0) this.oldest = Date.now();
    this.pending.push(row);
    if (this.pending.length >= this.flushRows) this.flushSoon();
  }

  /** Writes what waits, after the writes already under way. */
  flushSoon(): void {
    this.chain = this.chain.then(
      () => this.flush(),
      () => undefined,
    );
    this.chain.catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** Writes everything kept so far and stops the timer; throws the first failed write. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flushSoon();
    await this.chain.catch(() => undefined);
    if (this.failure !== null) throw this.failure;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.stopped) return;
    const { db } = this.deps;
    const batch = this.pending.splice(0, this.pending.length);
    const progress = await writeVerdicts(db, this.job, batch);
    if (!progress) {
      this.jobEnded = true; // deleted or cancelled meanwhile: in-flight work stops here
      return;
    }
    this.written += batch.length;
    countVerdicts('job', this.job.mode, batch);
    // Network trouble on our side (docs/network.md): the job says so, each kind once.
    const met = [...new Set(batch.flatMap((r) => (r.verdict.warning ? [r.verdict.warning] : [])))];
    if (met.length > 0)
      await addJobWarnings(
        db.prisma,
        this.job.id,
        met.map((code) => ({ code, message: WARNING_TEXT[code] })),
      );
    if (progress.processed >= progress.total) await endIfDone(this.deps, this.job.id);
  }
}

/** The job's last result is in: it completes (once, whoever calls) and its ending runs. */
export async function endIfDone(deps: FlushDeps, jobId: string): Promise<void> {
  if (await completeIfDone(deps, jobId)) await onJobEnded(deps, jobId);
}
