import cliProgress from 'cli-progress';
import type { Job, Mailsift } from '../sdk/src/index.ts';
import { bytes, type Output } from './output.ts';

const BAR = {
  barCompleteChar: '█',
  barIncompleteChar: '░',
  hideCursor: true,
  barsize: 30,
  fps: 10,
};

/** The upload's byte bar on a terminal, one line before and after it elsewhere. */
export function uploadProgress(out: Output, file: string, size: number) {
  out.line(`Uploading ${file} (${bytes(size)})`);
  if (!out.tty) return { onUploadProgress: undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    ...BAR,
    format: 'Uploading  {bar} {percentage}% | {sent} / {size}',
  });
  bar.start(Math.max(size, 1), 0, { sent: bytes(0), size: bytes(size) });
  return {
    onUploadProgress: (sent: number) => bar.update(sent, { sent: bytes(sent) }),
    stop: () => {
      bar.update(Math.max(size, 1), { sent: bytes(size) });
      bar.stop();
    },
  };
}

const countsOf = (job: Job) =>
  `deliverable ${job.counts.deliverable} · undeliverable ${job.counts.undeliverable} · risky ${job.counts.risky} · unknown ${job.counts.unknown}`;

/**
 * The time left at the rate seen so far: "0s" when nothing is left, "…" until a rate is known,
 * then "42s", "3m 05s" or "1h 02m".
 */
export function etaText(remaining: number, perSecond: number): string {
  if (remaining <= 0) return '0s';
  if (!(perSecond > 0)) return '…';
  const s = Math.ceil(remaining / perSecond);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

export function describeJob(job: Job): string {
  const base = `Job ${job.id} ${job.status}: ${job.processed}/${job.total} rows`;
  return job.status === 'queued' ? base : `${base} (${countsOf(job)})`;
}

/**
 * Waits for the job: on a terminal, a live bar of processed / total with rate, ETA and counts per
 * status; elsewhere one plain line per change of status. Returns the job as it ended.
 */
export async function waitWithProgress(
  client: Mailsift,
  out: Output,
  jobId: string,
  signal: AbortSignal,
  pollMs: number,
): Promise<Job> {
  let lastStatus: string | null = null;
  let bar: cliProgress.SingleBar | null = null;
  const started = Date.now();
  let firstProcessed: number | null = null;
  const stopBar = () => bar?.stop();
  signal.addEventListener('abort', stopBar, { once: true });
  try {
    const job = await client.jobs.wait(jobId, {
      signal,
      pollMs,
      onProgress: (j) => {
        if (!out.tty) {
          if (j.status !== lastStatus) out.line(describeJob(j));
          lastStatus = j.status;
          return;
        }
        firstProcessed ??= j.processed;
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? (j.processed - firstProcessed) / seconds : 0;
        const payload = {
          rate: Math.round(rate),
          left: etaText(j.total - j.processed, rate),
          status: j.status,
          counts: countsOf(j),
        };
        if (!bar) {
          bar = new cliProgress.SingleBar({
            ...BAR,
            format:
              'Verifying  {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {left} | {counts}',
          });
          // Drawn from 0 even when the first poll finds the job done: the bar shows where it
          // started. The ETA is ours (etaText): cli-progress's own prints "NULL" or "NaN" when a
          // poll finds no movement.
          bar.start(Math.max(j.total, 1), 0, payload);
        }
        bar.update(j.processed, payload);
      },
    });
    if (out.tty) {
      stopBar();
      out.line(describeJob(job));
    }
    return job;
  } finally {
    signal.removeEventListener('abort', stopBar);
    stopBar();
  }
}
