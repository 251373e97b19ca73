import type { Deps } from '../../src/deps.ts';
import { purgeDeletedJob } from '../../src/domain/jobs/delete-job.ts';
import type { Processors } from '../start-workers.ts';

export const purgeJobProcessor =
  (deps: Deps): Processors['purge-job'] =>
  ({ jobId }) =>
    purgeDeletedJob(deps, jobId);
