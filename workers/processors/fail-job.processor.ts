import type { Deps } from '../../src/deps.ts';
import { failJobForTask } from '../../src/domain/jobs/fail-job.ts';
import { catalog } from '../../src/queue/catalog.ts';

export const failJobProcessor = (deps: Deps) => async (data: unknown) => {
  const { jobId, reason } = catalog['fail-job'].payload.parse(data);
  await failJobForTask(deps, jobId, reason);
};
