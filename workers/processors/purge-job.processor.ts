import type { Deps } from '../../src/deps.ts';
import { purgeJobData } from '../../src/data/results.repository.ts';
import { catalog } from '../../src/queue/catalog.ts';

export const purgeJobProcessor = (deps: Deps) => async (data: unknown) => {
  const { jobId } = catalog['purge-job'].payload.parse(data);
  await purgeJobData(deps.db.prisma, jobId);
};
