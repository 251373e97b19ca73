import type { Job } from '../../generated/prisma/client.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The job resource of API.md. Pure, and here rather than in http/ because webhook events (built
 * by the domain, inside the transaction that ends a job) carry the same resource as GET /v1/jobs.
 */
export function toJobResource(job: Job) {
  const self = `/v1/jobs/${job.id}`;
  return {
    id: job.id,
    object: 'job',
    name: job.name,
    source: job.source,
    status: job.status,
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
    mode: job.mode,
    smtp: job.smtp,
    quick_mode: job.quickMode,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    links: { self, results: `${self}/results`, download: `${self}/results.csv` },
  };
}

export type JobResource = ReturnType<typeof toJobResource>;
