import type { Deps } from '../../src/deps.ts';
import { failJobForTask } from '../../src/domain/jobs/fail-job.ts';
import type { Processors } from '../start-workers.ts';

export const failJobProcessor =
  (deps: Deps): Processors['fail-job'] =>
  ({ jobId, reason }) =>
    failJobForTask(deps, jobId, reason);
