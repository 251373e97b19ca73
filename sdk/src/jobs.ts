import { send, sendJson, sleep, type ClientConfig, type RequestOptions } from './http.js';
import { multipartUpload, type FileInput, type UploadProgress } from './upload.js';
import type { Job, JobList, Result, ResultPage, VerdictStatus, WebhookAttempt } from './types.js';

export interface CreateJobParams {
  /** A CSV file: a path (Node), a Blob/File, a ReadableStream or an async iterable of bytes. */
  file?: FileInput;
  /** Or a list of addresses. */
  emails?: string[];
  name?: string;
  /** Header name or 0-based index of the address column (CSV only). */
  emailColumn?: string | number;
  webhookUrl?: string;
  smtp?: boolean;
  quickMode?: boolean;
  /** Makes a retried create return the same job; the SDK makes one when none is given. */
  idempotencyKey?: string;
  onUploadProgress?: UploadProgress;
}

export interface WaitOptions {
  /** Told the job after every poll while it runs. */
  onProgress?: (job: Job) => void;
  signal?: AbortSignal;
  /** Between polls; default 1000. */
  pollMs?: number;
}

/** The check columns `download` can add, each as `mailsift_<name>` (the server's list). */
export const CHECK_COLUMNS = [
  'free',
  'role',
  'disposable',
  'catch_all',
  'mx_found',
  'mx_host',
  'smtp_code',
  'smtp_enhanced_code',
  'smtp_message',
  'domain',
  'duration_ms',
] as const;
/** One of CHECK_COLUMNS; `download` also takes `'all'`. */
export type CheckColumn = (typeof CHECK_COLUMNS)[number];

export interface DownloadParams {
  /** Only rows with this verdict, or with one of these. */
  status?: VerdictStatus | VerdictStatus[];
  /** Check columns to append after the default result columns; `'all'` for every one. */
  columns?: CheckColumn[] | 'all';
  /** Start the file with a UTF-8 BOM, so Excel shows accented names right. */
  bom?: boolean;
}

const listParam = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

const TERMINAL = new Set<Job['status']>(['completed', 'failed', 'cancelled']);

export const isTerminal = (job: Job): boolean => TERMINAL.has(job.status);

function newIdempotencyKey(): string {
  return `sdk_${crypto.randomUUID()}`;
}

const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;

export class Jobs {
  constructor(private readonly config: ClientConfig) {}

  /**
   * Creates a job from a file (streamed, never read whole) or a list of addresses. Always sent
   * with an Idempotency-Key, so a retry after a lost answer returns the same job, charged once.
   */
  async create(params: CreateJobParams, options: RequestOptions = {}): Promise<Job> {
    if ((params.file === undefined) === (params.emails === undefined)) {
      throw new TypeError('jobs.create needs exactly one of `file` or `emails`');
    }
    const headers = { 'idempotency-key': params.idempotencyKey ?? newIdempotencyKey() };
    const base = {
      ...options,
      method: 'POST' as const,
      path: '/v1/jobs',
      headers,
      retryable: true,
    };
    if (params.emails !== undefined) {
      return sendJson<Job>(this.config, {
        ...base,
        json: {
          emails: params.emails,
          name: params.name,
          webhook_url: params.webhookUrl,
          smtp: params.smtp,
          quick_mode: params.quickMode,
        },
      });
    }
    const flag = (b: boolean | undefined) => (b === undefined ? undefined : String(b));
    const body = multipartUpload(
      params.file!,
      {
        name: params.name,
        email_column: params.emailColumn === undefined ? undefined : String(params.emailColumn),
        webhook_url: params.webhookUrl,
        smtp: flag(params.smtp),
        quick_mode: flag(params.quickMode),
      },
      params.onUploadProgress,
    );
    return sendJson<Job>(this.config, { ...base, body });
  }

  get(id: string, options: RequestOptions = {}): Promise<Job> {
    return sendJson<Job>(this.config, {
      ...options,
      method: 'GET',
      path: jobPath(id),
      retryable: true,
    });
  }

  /** One page of jobs, newest first; pass the last id as `startingAfter` for the next. */
  list(
    params: { limit?: number; startingAfter?: string } = {},
    options: RequestOptions = {},
  ): Promise<JobList> {
    return sendJson<JobList>(this.config, {
      ...options,
      method: 'GET',
      path: '/v1/jobs',
      query: { limit: params.limit, starting_after: params.startingAfter },
      retryable: true,
    });
  }

  /** Stops the job, refunds what was not processed, deletes its results. */
  async delete(id: string, options: RequestOptions = {}): Promise<void> {
    await sendJson<void>(this.config, {
      ...options,
      method: 'DELETE',
      path: jobPath(id),
      retryable: true,
    });
  }

  /** Every result, in input order, over all pages (`pageSize` per request, default 1000). */
  async *results(
    id: string,
    params: { status?: VerdictStatus | VerdictStatus[]; pageSize?: number } = {},
    options: RequestOptions = {},
  ): AsyncGenerator<Result, void, undefined> {
    let cursor: string | null = null;
    do {
      const page: ResultPage = await sendJson<ResultPage>(this.config, {
        ...options,
        method: 'GET',
        path: `${jobPath(id)}/results`,
        query: { limit: params.pageSize ?? 1000, cursor, status: listParam(params.status) },
        retryable: true,
      });
      yield* page.data;
      cursor = page.next_cursor;
    } while (cursor !== null);
  }

  /** The uploaded file with the verdict columns appended, as a stream of CSV bytes. */
  async download(
    id: string,
    params: DownloadParams = {},
    options: RequestOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const res = await send(this.config, {
      ...options,
      method: 'GET',
      path: `${jobPath(id)}/results.csv`,
      query: {
        status: listParam(params.status),
        columns: listParam(params.columns),
        bom: params.bom,
      },
      retryable: true,
    });
    if (!res.body) return new Response('').body!;
    return res.body;
  }

  /** Every delivery attempt of the job's webhook. */
  async webhookAttempts(id: string, options: RequestOptions = {}): Promise<WebhookAttempt[]> {
    const list = await sendJson<{ data: WebhookAttempt[] }>(this.config, {
      ...options,
      method: 'GET',
      path: `${jobPath(id)}/webhooks`,
      retryable: true,
    });
    return list.data;
  }

  /**
   * Polls the job until it ends (`completed`, `failed` or `cancelled`) and returns it as it
   * ended; `onProgress` sees it after every poll. Aborting `signal` rejects at once with the
   * signal's reason and leaves the job running.
   */
  async wait(id: string, options: WaitOptions & RequestOptions = {}): Promise<Job> {
    const { onProgress, pollMs = 1000, ...request } = options;
    for (;;) {
      const job = await this.get(id, request);
      onProgress?.(job);
      if (isTerminal(job)) return job;
      await sleep(pollMs, options.signal);
    }
  }
}
