import type { Db } from '../../data/db.ts';
import { attemptsOfJob } from '../../data/webhooks.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { getJob } from '../jobs/read-jobs.ts';

/** Every delivery attempt of a job's webhook, oldest first; 404 for another account's job. */
export async function listWebhookAttempts(db: Db, auth: AuthContext, jobId: string) {
  await getJob(db, auth, jobId);
  return attemptsOfJob(db, jobId);
}
