import type { Deps } from '../../src/deps.ts';
import { ingestJob } from '../../src/domain/jobs/ingest-job.ts';
import { planJob } from '../../src/domain/jobs/plan-job.ts';
import { catalog } from '../../src/queue/catalog.ts';

export const ingestJobProcessor = (deps: Deps) => async (data: unknown) => {
  const { jobId } = catalog['ingest-job'].payload.parse(data);
  if (!(await ingestJob(deps, jobId))) return { chunks: 0 };
  const chunks = await planJob({ ...deps, chunkSize: deps.config.jobs.chunkSize }, jobId);
  return { chunks };
};
