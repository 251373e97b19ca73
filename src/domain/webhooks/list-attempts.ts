import type { Deps } from '../../deps.ts';
import { attemptsOfJob } from '../../data/webhooks.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { getJob } from '../jobs/read-jobs.ts';

/** Every delivery attempt of a job's webhook, oldest first; 404 for another account's job. */
export async function listWebhookAttempts(
  deps: Pick<Deps, 'db'>,
  auth: AuthContext,
  jobId: string,
) {
  await getJob(deps, auth, jobId);
  return attemptsOfJob(deps.db.prisma, jobId);
}
