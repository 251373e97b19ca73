import { ValidationTimeoutError } from './errors.js';
import { sendJson, type ClientConfig, type RequestOptions, type RetryInfo } from './http.js';
import { Jobs } from './jobs.js';
import type { Account, BatchResponse, Enrichment, ValidateResponse } from './types.js';
import { verifyWebhook } from './webhooks.js';

export const SDK_VERSION = '0.1.0';

export interface MailsiftOptions {
  /** `ms_live_…` or `ms_test_…`; default `MAILSIFT_API_KEY` from the environment (Node). */
  apiKey?: string;
  /** Default `MAILSIFT_URL` from the environment (Node), else http://127.0.0.1:3000. */
  baseUrl?: string;
  /** Per attempt, without progress (an upload that keeps sending does not time out); default 60000. */
  timeoutMs?: number;
  /** Retries of retryable failures (429 RATE_LIMIT_EXCEEDED, 5xx, network); default 2. */
  maxRetries?: number;
  /** A fetch implementation; default the global one. */
  fetch?: typeof fetch;
  /** Told before each retry (to log it). */
  onRetry?: (info: RetryInfo) => void;
}

export interface ValidateOptions extends RequestOptions {
  quickMode?: boolean;
  smtp?: boolean;
  /** On VALIDATION_TIMEOUT, ask once more with `quick_mode: true` (no SMTP probe). */
  retryWithQuickMode?: boolean;
}

const env = (name: string): string | undefined =>
  typeof process !== 'undefined' ? process.env?.[name] : undefined;

/** The mailsift API. */
export class Mailsift {
  readonly jobs: Jobs;
  readonly webhooks = { verify: verifyWebhook };
  private readonly config: ClientConfig;

  constructor(options: MailsiftOptions = {}) {
    const apiKey = options.apiKey ?? env('MAILSIFT_API_KEY');
    if (!apiKey) throw new TypeError('Mailsift needs an apiKey (or MAILSIFT_API_KEY)');
    this.config = {
      apiKey,
      baseUrl: options.baseUrl ?? env('MAILSIFT_URL') ?? 'http://127.0.0.1:3000',
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      userAgent: `mailsift-sdk/${SDK_VERSION}`,
      onRetry: options.onRetry,
    };
    this.jobs = new Jobs(this.config);
  }

  /** Verifies one address now (charged one credit unless a test key). */
  validate(email: string, options: ValidateOptions = {}): Promise<ValidateResponse> {
    return this.withQuickRetry(options, (quick) =>
      sendJson<ValidateResponse>(this.config, {
        ...options,
        method: 'POST',
        path: '/v1/validate',
        json: { email, quick_mode: quick, smtp: options.smtp },
        retryable: true,
      }),
    );
  }

  /** Verifies up to 100 addresses now. */
  validateBatch(emails: string[], options: ValidateOptions = {}): Promise<BatchResponse> {
    return this.withQuickRetry(options, (quick) =>
      sendJson<BatchResponse>(this.config, {
        ...options,
        method: 'POST',
        path: '/v1/validate/batch',
        json: { emails, quick_mode: quick, smtp: options.smtp },
        retryable: true,
      }),
    );
  }

  account(options: RequestOptions = {}): Promise<Account> {
    return sendJson<Account>(this.config, {
      ...options,
      method: 'GET',
      path: '/v1/account',
      retryable: true,
    });
  }

  /** What the account already knows of an address; free of charge. */
  enrichment(email: string, options: RequestOptions = {}): Promise<Enrichment> {
    return sendJson<Enrichment>(this.config, {
      ...options,
      method: 'GET',
      path: '/v1/enrichment',
      query: { email },
      retryable: true,
    });
  }

  private async withQuickRetry<T>(
    options: ValidateOptions,
    call: (quickMode: boolean | undefined) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(options.quickMode);
    } catch (err) {
      if (
        !(err instanceof ValidationTimeoutError) ||
        !options.retryWithQuickMode ||
        options.quickMode
      ) {
        throw err;
      }
      return call(true);
    }
  }
}
