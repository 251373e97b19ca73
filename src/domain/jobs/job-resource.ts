import { z } from 'zod';
import type { JobView } from '../../data/jobs.repository.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const isoTime = z.iso.datetime({ offset: true });

export const jobStatuses = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;

/** Network trouble on the probing side (docs/network.md); validation/types.ts NetworkWarning. */
export const jobWarningCodes = ['dns_unhealthy', 'smtp_blocked', 'proxy_failed'] as const;

const jobWarningSchema = z
  .object({
    code: z.enum(jobWarningCodes),
    message: z.string(),
  })
  .meta({
    id: 'JobWarning',
    description:
      'Trouble on our side that made addresses `unknown` (refunded): the resolver failing its canaries, no way out to port 25, a failing SOCKS proxy.',
  });

type JobWarning = z.infer<typeof jobWarningSchema>;

function warningsOf(raw: unknown): JobWarning[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((w) => {
    const parsed = jobWarningSchema.safeParse(w);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The job resource of API.md, as a zod schema: the OpenAPI document is generated from it and
 * `toJobResource` must return exactly its type, so the two cannot drift.
 */
export const jobResourceSchema = z
  .object({
    id: z.string().meta({ example: 'job_4fKq8ZbX2mN7pR1sT9vW3yA5' }),
    object: z.literal('job'),
    name: z.string().nullable(),
    source: z.enum(['csv_file', 'emails']),
    status: z.enum(jobStatuses),
    total: z.int().min(0).describe('Rows in the input (duplicates and invalid syntax included).'),
    unique: z.int().min(0).describe('Distinct addresses after normalisation.'),
    processed: z.int().min(0),
    progress: z.int().min(0).max(100).describe('processed / total, in percent, rounded down.'),
    counts: z.object({
      deliverable: z.int().min(0),
      undeliverable: z.int().min(0),
      risky: z.int().min(0),
      unknown: z.int().min(0),
    }),
    credits_reserved: z.int().min(0),
    credits_charged: z
      .int()
      .min(0)
      .describe('Final when the job ends (unknown verdicts refunded).'),
    webhook_url: z.string().nullable(),
    mode: z.enum(['live', 'test']),
    smtp: z.boolean().describe('Whether the SMTP probe runs for this job.'),
    quick_mode: z.boolean(),
    created_at: isoTime,
    started_at: isoTime.nullable(),
    completed_at: isoTime.nullable(),
    expires_at: isoTime
      .nullable()
      .describe(
        'When the job and its results are deleted: completed_at plus the retention (30 days unless the account has its own). Null while the job runs. From then on every route of the job is 404.',
      ),
    warnings: z
      .array(jobWarningSchema)
      .describe('Network trouble met while verifying, one entry per code; empty when none.'),
    links: z.object({ self: z.string(), results: z.string(), download: z.string() }),
  })
  .meta({ id: 'Job', description: 'A cleaning job: one uploaded file or list of addresses.' });

export type JobResource = z.infer<typeof jobResourceSchema>;

/**
 * The job resource of API.md. Pure, and here rather than in http/ because webhook events (built
 * by the domain, inside the transaction that ends a job) carry the same resource as GET /v1/jobs.
 */
export function toJobResource(job: JobView): JobResource {
  const self = `/v1/jobs/${job.id}`;
  return {
    id: job.id,
    object: 'job',
    name: job.name,
    // Stored as text; the columns only ever hold these values (create-job, settle-job).
    source: job.source as JobResource['source'],
    status: job.status as JobResource['status'],
    total: job.total,
    unique: job.uniqueCount,
    processed: job.processed,
    progress: job.total > 0 ? Math.floor((job.processed * 100) / job.total) : 0,
    counts: {
      deliverable: job.deliverable,
      undeliverable: job.undeliverable,
      risky: job.risky,
      unknown: job.unknown,
    },
    credits_reserved: job.creditsReserved,
    credits_charged: job.creditsCharged,
    webhook_url: job.webhookUrl,
    mode: job.mode as JobResource['mode'],
    smtp: job.smtp,
    quick_mode: job.quickMode,
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    expires_at: iso(job.expiresAt),
    warnings: warningsOf(job.warnings),
    links: { self, results: `${self}/results`, download: `${self}/results.csv` },
  };
}
