import { readJobView } from '../../data/jobs.repository.ts';
import type { Tx } from '../../data/transaction.ts';
import { insertEvent } from '../../data/webhooks.repository.ts';
import { newId } from '../accounts/keys.ts';
import { toJobResource } from '../jobs/job-resource.ts';

export type JobEventType = 'job.completed' | 'job.failed';

/**
 * The outbox half of a job's webhook: called by endJob inside the transaction that ends the job,
 * so the event commits with the ending or not at all (a worker that dies after the commit leaves
 * a pending event for the sweep, never a lost one). Cancelled (deleted) jobs send nothing, nor do
 * jobs without a webhook_url. The body is frozen here: every attempt sends these exact bytes.
 */
export async function recordJobEndedEvent(
  tx: Tx,
  jobId: string,
  ending: 'completed' | 'failed' | 'cancelled',
): Promise<string | null> {
  if (ending === 'cancelled') return null;
  const job = await readJobView(tx, jobId);
  if (!job?.webhookUrl) return null;
  const id = newId('evt');
  const type: JobEventType = `job.${ending}`;
  const createdAt = new Date();
  const payload = JSON.stringify({
    id,
    type,
    created_at: createdAt.toISOString(),
    data: toJobResource(job),
  });
  const inserted = await insertEvent(tx, {
    id,
    jobId,
    accountId: job.accountId,
    type,
    url: job.webhookUrl,
    payload,
    createdAt,
  });
  return inserted ? id : null;
}
