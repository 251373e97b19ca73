import {
  ApiError,
  errorFromResponse,
  MailsiftError,
  NetworkError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
} from './errors.js';

export interface ClientConfig {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  fetch: typeof fetch;
  userAgent: string;
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/** What `onRetry` is told before the SDK waits and tries a request again. */
export interface RetryInfo {
  method: string;
  path: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: ApiError | NetworkError;
}

/** Per-call options every method takes. */
export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

/** What the SDK sends as a request body. */
export type RequestBody = string | FormData | ReadableStream<Uint8Array>;

/** A body made anew for each attempt (a file is reopened); `replayable` false for a one-shot stream. */
export interface BodySource {
  make(touch: () => void): Promise<{ body: RequestBody; headers: Record<string, string> }>;
  replayable(): boolean;
}

export interface RequestSpec extends RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  json?: unknown;
  body?: BodySource;
  headers?: Record<string, string>;
  /** POSTs that may charge are retried only when the server can tell a retry from a new request. */
  retryable: boolean;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;
/** A `Retry-After` longer than this is not waited out: the error goes to the caller. */
const MAX_RETRY_AFTER_S = 60;

/** Exponential backoff with jitter: 500 ms, 1 s, 2 s… (each up to 25 % shorter), at most 8 s. */
export function backoffMs(retry: number, random = Math.random): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
  return Math.round(full * (1 - 0.25 * random()));
}

/** How long to wait before the next attempt after `error`, or null when it must not be retried. */
function retryDelay(error: MailsiftError, retry: number): number | null {
  if (error instanceof RateLimitError) {
    if (error.retryAfter === null) return backoffMs(retry);
    return error.retryAfter <= MAX_RETRY_AFTER_S ? error.retryAfter * 1000 : null;
  }
  if (error instanceof NetworkError) return backoffMs(retry);
  if (error instanceof ApiError) {
    const transient =
      error instanceof ServiceUnavailableError ||
      error.code === 'INTERNAL_ERROR' ||
      (error.code.startsWith('HTTP_') && [500, 502, 503, 504].includes(error.status));
    return transient ? backoffMs(retry) : null;
  }
  return null;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function urlOf(config: ClientConfig, spec: RequestSpec): string {
  const url = new URL(config.baseUrl.replace(/\/+$/, '') + spec.path);
  for (const [k, v] of Object.entries(spec.query ?? {})) {
    if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/**
 * One attempt. The timeout is a deadline without progress: it restarts whenever upload bytes
 * flow, so a large file on a slow link is not cut off, while a server that never answers is.
 */
async function attempt(config: ClientConfig, spec: RequestSpec): Promise<Response> {
  const timeoutMs = spec.timeoutMs ?? config.timeoutMs;
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new TimeoutError(`No answer within ${timeoutMs} ms`));
    }, timeoutMs);
  };
  const onCallerAbort = () => controller.abort(spec.signal!.reason);
  if (spec.signal?.aborted) throw spec.signal.reason;
  spec.signal?.addEventListener('abort', onCallerAbort, { once: true });
  touch();
  try {
    const headers: Record<string, string> = {
      authorization: `Bearer ${config.apiKey}`,
      accept: 'application/json',
      'user-agent': config.userAgent,
      ...spec.headers,
    };
    let body: RequestBody | undefined;
    if (spec.body) {
      const made = await spec.body.make(touch);
      body = made.body;
      Object.assign(headers, made.headers);
    } else if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method: spec.method,
      headers,
      body,
      signal: controller.signal,
    };
    if (body instanceof ReadableStream) {
      // A streamed body needs half duplex (fetch spec). And fetch keeps a copy (a tee) of every
      // byte sent for a redirect or an auth retry, unless redirects are errors and there is no
      // window: without this, a 100 MB upload would sit in memory. The API never redirects.
      init.duplex = 'half';
      init.redirect = 'error';
      (init as { window?: null }).window = null;
    }
    return await config.fetch(urlOf(config, spec), init);
  } catch (err) {
    if (spec.signal?.aborted) throw spec.signal.reason;
    if (timedOut) throw new TimeoutError(`No answer from ${config.baseUrl} within ${timeoutMs} ms`);
    if (err instanceof MailsiftError) throw err;
    const cause = (err as { cause?: unknown }).cause ?? err;
    const what =
      (cause as { code?: string; message?: string }).code ?? String((cause as Error).message);
    throw new NetworkError(`Could not reach ${config.baseUrl}: ${what}`, { cause });
  } finally {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return errorFromResponse(res.status, res.headers, body);
}

/**
 * Sends a request with the retry policy of the retryable table: RATE_LIMIT_EXCEEDED waits
 * `Retry-After`; 500, 502, 503, 504 and network errors back off exponentially with jitter; at most
 * `maxRetries` retries; everything else is thrown at once. Returns the successful `Response`.
 */
export async function send(config: ClientConfig, spec: RequestSpec): Promise<Response> {
  const maxRetries = spec.retryable ? (spec.maxRetries ?? config.maxRetries) : 0;
  for (let retry = 0; ; retry++) {
    let error: MailsiftError;
    try {
      const res = await attempt(config, spec);
      if (res.ok) return res;
      error = await errorOf(res);
    } catch (err) {
      if (!(err instanceof MailsiftError)) throw err;
      error = err;
    }
    const canReplay = !spec.body || spec.body.replayable();
    const delay = retry < maxRetries && canReplay ? retryDelay(error, retry + 1) : null;
    if (delay === null) throw error;
    config.onRetry?.({
      method: spec.method,
      path: spec.path,
      retry: retry + 1,
      delayMs: delay,
      error: error as ApiError | NetworkError,
    });
    await sleep(delay, spec.signal);
  }
}

/** Sends and parses a JSON answer (204 gives undefined). */
export async function sendJson<T>(config: ClientConfig, spec: RequestSpec): Promise<T> {
  const res = await send(config, spec);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
