import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/**
 * The job catalog: the one source of truth for what runs in the background. Payloads carry ids
 * and ranges, never addresses (addresses are personal data; Postgres holds them). Job ids are
 * deterministic, so enqueueing the same work twice is harmless.
 */

const int4 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
/** A unique row's place in the work order: [hashtext(domain), idx] (job_rows_work_order_idx). */
const workKey = z.tuple([int4, z.number().int().min(0)]);
/**
 * The work order of the release before issue 13's hashed index, [domain, idx]: chunk tasks it
 * queued are still served after an upgrade (the first element's type tells the two apart).
 */
const legacyWorkKey = z.tuple([z.string(), z.number().int().min(0)]);

export const catalog = {
  /** Expands a new job's stored input into rows, then cuts them into chunks. */
  'ingest-job': {
    queue: 'jobs',
    payload: z.object({ jobId: z.string() }),
    jobId: (p: { jobId: string }) => `ingest-${p.jobId}`,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 1000 } },
    endsJobOnFailure: true,
  },
  'validate-chunk': {
    queue: 'chunks',
    payload: z
      .object({
        jobId: z.string(),
        chunk: z.number().int().min(0),
        /** Bounds of the chunk in work order: [from, to); absent `from` is the job's start. */
        from: z.union([workKey, legacyWorkKey]).optional(),
        to: z.union([workKey, legacyWorkKey]).nullable().optional(),
        /**
         * A later try of addresses that got a temporary (4xx) answer: their row indexes. `waits`
         * counts the times they waited for a provider's pause (pacing), which spend no attempt.
         */
        retry: z
          .object({
            attempt: z.number().int().min(0),
            idx: z.array(z.number().int()).min(1),
            waits: z.number().int().min(0).optional(),
          })
          .optional(),
      })
      .refine((p) => !p.from || !p.to || typeof p.from[0] === typeof p.to[0], {
        message: 'from and to must be bounds of the same work order',
      }),
    jobId: (p: {
      jobId: string;
      chunk: number;
      retry?: { attempt: number; idx: number[]; waits?: number | undefined } | undefined;
    }) =>
      !p.retry
        ? `${p.jobId}-c${p.chunk}`
        : p.retry.waits
          ? // Two lineages of one chunk may reach the same attempt and waits: their rows differ.
            `${p.jobId}-r${p.retry.attempt}w${p.retry.waits}-${p.chunk}-${p.retry.idx[0]}`
          : `${p.jobId}-r${p.retry.attempt}-${p.chunk}`,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
    endsJobOnFailure: true,
  },
  /**
   * Ends a job as failed once one of its tasks failed for good. A task of its own, so that
   * ending the job survives a database blip or a worker dying at that moment.
   */
  'fail-job': {
    queue: 'jobs',
    payload: z.object({ jobId: z.string(), reason: z.string() }),
    jobId: (p: { jobId: string }) => `fail-${p.jobId}`,
    options: { attempts: 10, backoff: { type: 'exponential', delay: 2000 } },
    endsJobOnFailure: false,
  },
  'purge-job': {
    queue: 'jobs',
    payload: z.object({ jobId: z.string() }),
    jobId: (p: { jobId: string }) => `purge-${p.jobId}`,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
    endsJobOnFailure: false,
  },
  /**
   * Removes expired jobs and email facts (docs/retention.md). Repeatable: a BullMQ job scheduler
   * of that id enqueues it every RETENTION_PURGE_INTERVAL_MS (workers upsert it at start).
   */
  'purge-expired': {
    queue: 'jobs',
    payload: z.object({}),
    jobId: () => 'purge-expired',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
    endsJobOnFailure: false,
  },
  'deliver-webhook': {
    queue: 'webhooks',
    payload: z.object({
      jobId: z.string(),
      eventId: z.string(),
      /** Which delivery attempt (1-based); retries are scheduled as new tasks, with a delay. */
      attempt: z.number().int().min(1).default(1),
    }),
    jobId: (p: { eventId: string; attempt?: number | undefined }) =>
      (p.attempt ?? 1) > 1 ? `webhook-${p.eventId}-a${p.attempt}` : `webhook-${p.eventId}`,
    // These retries cover our own failures (the database); the receiver's are the attempts above.
    options: { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
    endsJobOnFailure: false,
  },
} as const satisfies Record<
  string,
  {
    queue: QueueName;
    payload: z.ZodType;
    jobId: (p: never) => string;
    options: JobsOptions;
    /** Failing for good (attempts spent, or unrecoverable) ends the task's job as failed. */
    endsJobOnFailure: boolean;
  }
>;

export type QueueName = 'jobs' | 'chunks' | 'webhooks';
export const queueNames: readonly QueueName[] = ['jobs', 'chunks', 'webhooks'];
export type TaskName = keyof typeof catalog;
export type TaskPayload<N extends TaskName> = z.infer<(typeof catalog)[N]['payload']>;
