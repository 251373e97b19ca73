import { createHash } from 'node:crypto';
import { countInput, type InputCount, type UploadWork } from './count-input.ts';
import type { Readable } from 'node:stream';
import type { RedisClient } from '../../lib/redis-client.ts';
import type pg from 'pg';
import type { Config } from '../../config/env.ts';
import type { Database } from '../../data/db.ts';
import { storeUpload } from '../../data/job-uploads.repository.ts';
import { findJob, findJobByIdempotencyKey } from '../../data/jobs.repository.ts';
import type { Logger } from '../../lib/logger.ts';
import { countJobCreated } from '../../lib/work-metrics.ts';
import type { Queues } from '../../queue/queues.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { newId } from '../accounts/keys.ts';
import { smtpFor } from '../billing/features.ts';
import { DomainError, serviceUnavailable } from '../errors.ts';
import { emailUsageDeps, takeEmailUsage } from '../limits/email-usage.ts';
import { fileBytes, serialiseEmailList } from './job-input.ts';
import { assertWebhookUrl } from './webhook-url.ts';

interface CommonInput {
  name: string | null;
  webhookUrl: string | null;
  /** undefined: the plan's default (probe when the plan has it). */
  smtp: boolean | undefined;
  quickMode: boolean;
  idempotencyKey: string | null;
}
export type CreateJobInput = CommonInput &
  (
    | {
        source: 'csv_file';
        filePath: string;
        emailColumn?: string | number;
        /** The count made while the file was uploaded, and its bytes packed for storage. */
        counted?: UploadWork;
      }
    | { source: 'emails'; emails: string[] }
  );

export interface CreateJobDeps {
  db: Database;
  /** Usage counters: the monthly quota, a test key's daily allowance. */
  redis: RedisClient;
  queues: Queues;
  config: Config;
  logger: Logger;
}

/** The input's bytes as they will be stored: the file itself, or the list one JSON string a line. */
const inputBytes = (input: CreateJobInput): Readable =>
  input.source === 'csv_file' ? fileBytes(input.filePath) : serialiseEmailList(input.emails);

type Scan = InputCount & { hash: string };

/** Counts the input (or takes the count made while it was uploaded) and hashes the request. */
async function scan(input: CreateJobInput, maxRows: number): Promise<Scan> {
  const { idempotencyKey: _key, ...options } = input;
  const early = input.source === 'csv_file' ? input.counted : undefined;
  const column = input.source === 'csv_file' ? input.emailColumn : undefined;
  const counted =
    early && early.emailColumn === column
      ? await early.result
      : await countInput(inputBytes(input), {
          source: input.source,
          emailColumn: column,
          maxRows,
        });
  const hash = createHash('sha256')
    .update(
      JSON.stringify({ ...options, filePath: undefined, emails: undefined, counted: undefined }),
    )
    .update(counted.bytesHash)
    .digest('hex');
  return { ...counted, hash };
}

/**
 * Creates a job and answers at once: the input is checked and counted in one streaming pass,
 * then the job, its stored input and the credit reservation (one per unique address of valid
 * syntax) commit in one transaction, so a job is whole or absent. The ingest task expands the
 * input into rows and the workers verify them; nothing here waits for that.
 */
export async function createJob(deps: CreateJobDeps, auth: AuthContext, input: CreateJobInput) {
  const { db, config } = deps;
  const smtp = smtpFor(auth.plan, input.smtp);
  if (input.webhookUrl !== null) assertWebhookUrl(input.webhookUrl, config.webhooks.allowPrivate);
  const maxRows = config.limits.maxEmailsPerJob;
  // (An allowance already used up was refused before the body was read: see jobs.routes.ts.)

  // Usually done already: an upload is counted while it arrives.
  const counted = await scan(input, maxRows);
  if (input.idempotencyKey) {
    const replay = await replayIdempotent(deps, auth, input.idempotencyKey, counted.hash);
    if (replay) return { job: replay, replayed: true };
  }
  const reserve = auth.mode === 'live' ? counted.billable : 0;
  // Monthly quota (live) or daily test allowance: taken now, given back if no job comes of it.
  const usage = await takeEmailUsage(emailUsageDeps(deps), auth, counted.billable);

  const jobId = newId('job');
  try {
    const client = await db.pool.connect().catch(() => {
      throw serviceUnavailable();
    });
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO jobs (id, account_id, name, source, status, mode, total, unique_count,
                           credits_reserved, webhook_url, smtp, quick_mode, idempotency_key,
                           request_hash, columns, delimiter, email_column)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16)`,
        [
          jobId,
          auth.accountId,
          input.name,
          input.source,
          auth.mode,
          counted.total,
          counted.unique,
          reserve,
          input.webhookUrl,
          smtp,
          input.quickMode,
          input.idempotencyKey,
          input.idempotencyKey ? counted.hash : null,
          JSON.stringify(counted.layout.columns),
          counted.layout.delimiter,
          counted.layout.emailColumn,
        ],
      );
      // Credits before the input is stored: a 402 costs no upload.
      if (reserve > 0) await reserveCredits(client, auth.accountId, jobId, reserve);
      const started = performance.now();
      const packed = input.source === 'csv_file' ? await input.counted?.packed : undefined;
      await storeUpload(client, jobId, packed ?? inputBytes(input));
      deps.logger.debug({ jobId, ms: Math.round(performance.now() - started) }, 'input stored');
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } catch (err) {
    await usage.release().catch(() => undefined);
    if ((err as { code?: string }).code === '23505' && input.idempotencyKey) {
      // A concurrent request with the same key committed first.
      const replay = await replayIdempotent(deps, auth, input.idempotencyKey, counted.hash);
      if (replay) return { job: replay, replayed: true };
      throw new DomainError(
        'IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key is in use by another request.',
      );
    }
    throw err;
  }

  countJobCreated(auth.mode, reserve);
  // The job is committed: if the queue cannot take it now, the workers' sweep enqueues it.
  await deps.queues.enqueue('ingest-job', { jobId }).catch((err: unknown) => {
    deps.logger.warn({ err, jobId }, 'could not enqueue a new job; the sweep will');
  });
  return { job: (await findJob(db.prisma, jobId))!, replayed: false };
}

/**
 * The job an Idempotency-Key already made, when the request is the same. Keys are scoped to the
 * account (one unique index), so the key's mode is part of "the same request": a live key
 * replaying a test key's Idempotency-Key is a conflict, never the test job (nor the reverse).
 */
async function replayIdempotent(deps: CreateJobDeps, auth: AuthContext, key: string, hash: string) {
  const existing = await findJobByIdempotencyKey(deps.db.prisma, auth.accountId, key);
  if (!existing) return null;
  if (existing.mode !== auth.mode || existing.requestHash !== hash) {
    throw new DomainError(
      'IDEMPOTENCY_CONFLICT',
      'This Idempotency-Key was used with a different request.',
    );
  }
  return existing;
}

async function reserveCredits(
  client: pg.PoolClient,
  accountId: string,
  jobId: string,
  amount: number,
) {
  const moved = await client.query<{ balance: number }>(
    `WITH moved AS (
       UPDATE accounts SET credit_balance = credit_balance - $2
        WHERE id = $1 AND credit_balance >= $2 RETURNING credit_balance)
     , logged AS (
       INSERT INTO credit_ledger (account_id, kind, amount, balance_after, job_id, note)
       SELECT $1, 'reserve', -$2::int, credit_balance, $3, 'job created' FROM moved)
     SELECT credit_balance AS balance FROM moved`,
    [accountId, amount, jobId],
  );
  if (moved.rowCount === 0) {
    const { rows } = await client.query<{ credit_balance: number }>(
      'SELECT credit_balance FROM accounts WHERE id = $1',
      [accountId],
    );
    throw new DomainError('INSUFFICIENT_CREDITS', 'The credit balance cannot cover this job.', {
      required: amount,
      balance: rows[0]?.credit_balance ?? 0,
    });
  }
}
