import { createHash } from 'node:crypto';
import { countInput, type InputCount, type UploadWork } from './count-input.ts';
import type { Readable } from 'node:stream';
import { creditBalance, moveCredits } from '../../data/accounts.repository.ts';
import { storeUpload } from '../../data/job-uploads.repository.ts';
import { findJob, findJobByIdempotencyKey, insertJob } from '../../data/jobs.repository.ts';
import { isUniqueViolation, withTransaction, type Tx } from '../../data/transaction.ts';
import type { Deps } from '../../deps.ts';
import { countJobCreated } from '../../lib/work-metrics.ts';
import { retireExpiredJob } from '../../data/retention.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { newId } from '../accounts/keys.ts';
import { smtpFor } from '../billing/features.ts';
import { DomainError } from '../errors.ts';
import { takeEmailUsage } from '../limits/email-usage.ts';
import { isExpired, retentionDaysOf } from '../retention/retention-days.ts';
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

/** `redis` holds the usage counters: the monthly quota, a test key's daily allowance. */
export type CreateJobDeps = Pick<Deps, 'db' | 'redis' | 'queues' | 'config' | 'logger'>;

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
  const usage = await takeEmailUsage(deps, auth, counted.billable);

  const jobId = newId('job');
  try {
    await withTransaction(db, async (tx) => {
      await insertJob(tx, {
        id: jobId,
        accountId: auth.accountId,
        name: input.name,
        source: input.source,
        mode: auth.mode,
        total: counted.total,
        uniqueCount: counted.unique,
        creditsReserved: reserve,
        webhookUrl: input.webhookUrl,
        smtp,
        quickMode: input.quickMode,
        idempotencyKey: input.idempotencyKey,
        requestHash: input.idempotencyKey ? counted.hash : null,
        columns: counted.layout.columns,
        delimiter: counted.layout.delimiter,
        emailColumn: counted.layout.emailColumn,
        retentionDays: retentionDaysOf(auth.resultsRetentionDays, config),
      });
      // Credits before the input is stored: a 402 costs no upload.
      if (reserve > 0) await reserveCredits(tx, auth.accountId, jobId, reserve);
      const started = performance.now();
      const packed = input.source === 'csv_file' ? await input.counted?.packed : undefined;
      await storeUpload(tx, jobId, packed ?? inputBytes(input));
      deps.logger.debug({ jobId, ms: Math.round(performance.now() - started) }, 'input stored');
    });
  } catch (err) {
    await usage.release().catch(() => undefined);
    if (isUniqueViolation(err) && input.idempotencyKey) {
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
  if (isExpired(existing)) {
    // Its results are gone (docs/retention.md): the key is free for a new job.
    await retireExpiredJob(deps.db, existing.id);
    return null;
  }
  if (existing.mode !== auth.mode || existing.requestHash !== hash) {
    throw new DomainError(
      'IDEMPOTENCY_CONFLICT',
      'This Idempotency-Key was used with a different request.',
    );
  }
  return existing;
}

/** Takes a new job's credits inside its transaction, or throws 402 (and the job is not made). */
async function reserveCredits(tx: Tx, accountId: string, jobId: string, amount: number) {
  const moved = await moveCredits(tx, {
    accountId,
    amount: -amount,
    kind: 'reserve',
    jobId,
    note: 'job created',
  });
  if (moved === null) {
    throw new DomainError('INSUFFICIENT_CREDITS', 'The credit balance cannot cover this job.', {
      required: amount,
      balance: await creditBalance(tx, accountId),
    });
  }
}
