import type { Deps } from '../../src/deps.ts';
import { ingestJob } from '../../src/domain/jobs/ingest-job.ts';
import { planJob } from '../../src/domain/jobs/plan-job.ts';
import type { Processors } from '../start-workers.ts';

export const ingestJobProcessor =
  (deps: Deps): Processors['ingest-job'] =>
  async ({ jobId }) => {
    const ingested = await ingestJob(deps, jobId);
    if (!ingested.live) return { chunks: 0 };
    const chunks = await planJob(deps, jobId, ingested.order);
    return { chunks };
  };
