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
        const rate = seconds > 0 ? Math.round((j.processed - firstProcessed) / seconds) : 0;
        const payload = { rate, status: j.status, counts: countsOf(j) };
        if (!bar) {
          bar = new cliProgress.SingleBar({
            ...BAR,
            etaBuffer: 20,
            format:
              'Verifying  {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | {counts}',
          });
          // Drawn from 0 even when the first poll finds the job done: the bar shows where it
          // started, and its ETA buffer has a movement to measure (a bar that starts full has
          // none, and cli-progress prints its ETA as "NULL").
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
