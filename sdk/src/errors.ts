/**
 * Errors of the SDK. Every answer of the API that is not a success becomes an `ApiError` (or one
 * of its families below), carrying the envelope's `code`, `message` and `details`, the HTTP
 * `status` and the `X-Request-Id`. No answer at all is a `NetworkError` (or `TimeoutError`).
 */
export class MailsiftError extends Error {
  override name = 'MailsiftError';
}

export interface ApiErrorInit {
  code: string;
  status: number;
  message: string;
  details?: Record<string, unknown>;
  requestId?: string | null;
  /** Seconds to wait before trying again, from `Retry-After` (429, 503). */
  retryAfter?: number | null;
}

/** An error answer of the API; the class of anything not covered by a family below. */
export class ApiError extends MailsiftError {
  override name = 'ApiError';
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;
  constructor(init: ApiErrorInit) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
  }
}

/** 401: MISSING_API_KEY, INVALID_API_KEY, API_KEY_DISABLED, API_KEY_EXPIRED. */
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
}

/** 403: INSUFFICIENT_SCOPE, IP_NOT_ALLOWED, FEATURE_NOT_AVAILABLE. */
export class PermissionError extends ApiError {
  override name = 'PermissionError';
}

/** 402 INSUFFICIENT_CREDITS: nothing was deducted. */
export class InsufficientCreditsError extends ApiError {
  override name = 'InsufficientCreditsError';
  readonly required: number | null;
  readonly balance: number | null;
  constructor(init: ApiErrorInit) {
    super(init);
    this.required = numberOr(this.details.required);
    this.balance = numberOr(this.details.balance);
  }
}

/** 404 NOT_FOUND: the resource does not exist, or belongs to another account. */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}

/** 409 IDEMPOTENCY_CONFLICT: the Idempotency-Key was used before with a different request. */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}

/** 400: the request itself is wrong (VALIDATION_ERROR with `fields`, MISSING_INPUT, INVALID_CSV…). */
export class ValidationInputError extends ApiError {
  override name = 'ValidationInputError';
  /** The field-level map of VALIDATION_ERROR, e.g. `{ emails: { "3": ["Must not be empty."] } }`. */
  readonly fields: Record<string, unknown>;
  constructor(init: ApiErrorInit) {
    super(init);
    const f = this.details.fields;
    this.fields = f && typeof f === 'object' ? (f as Record<string, unknown>) : {};
  }
}

/** 429 RATE_LIMIT_EXCEEDED: too many requests this minute; retried by the SDK after `retryAfter`. */
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
  /** Seconds to wait (the `Retry-After` header). */
  readonly retryAfter: number | null;
  constructor(init: ApiErrorInit) {
    super(init);
    this.retryAfter = init.retryAfter ?? numberOr(this.details.retryAfter);
  }
}

/** 429 QUOTA_EXCEEDED, GRACE_PERIOD_EXCEEDED, DAILY_LIMIT_EXCEEDED: an allowance is used up. */
export class QuotaExceededError extends ApiError {
  override name = 'QuotaExceededError';
  readonly limit: number | null;
  readonly used: number | null;
  readonly percentage: number | null;
  readonly hardLimit: number | null;
  readonly tier: string | null;
  /** When the allowance starts again (ISO 8601), where the API says. */
  readonly resetsAt: string | null;
  constructor(init: ApiErrorInit) {
    super(init);
    const d = this.details;
    this.limit = numberOr(d.limit);
    this.used = numberOr(d.used);
    this.percentage = numberOr(d.percentage);
    this.hardLimit = numberOr(d.hardLimit);
    this.tier = typeof d.tier === 'string' ? d.tier : null;
    this.resetsAt = typeof d.resetsAt === 'string' ? d.resetsAt : null;
  }
}

/** 500 VALIDATION_TIMEOUT: a synchronous validation passed its deadline; try `quickMode`. */
export class ValidationTimeoutError extends ApiError {
  override name = 'ValidationTimeoutError';
}

/** 503 SERVICE_UNAVAILABLE: the service cannot reach its database or queue; retryable. */
export class ServiceUnavailableError extends ApiError {
  override name = 'ServiceUnavailableError';
  readonly retryAfter: number | null;
  constructor(init: ApiErrorInit) {
    super(init);
    this.retryAfter = init.retryAfter ?? null;
  }
}

/** No answer: the connection failed or broke. `cause` holds the underlying error. */
export class NetworkError extends MailsiftError {
  override name = 'NetworkError';
  readonly code: string = 'NETWORK_ERROR';
  readonly status = null;
  readonly details: Record<string, unknown> = {};
  readonly requestId = null;
}

/** No answer within `timeoutMs`. */
export class TimeoutError extends NetworkError {
  override name = 'TimeoutError';
  override readonly code: string = 'TIMEOUT';
}

/** `webhooks.verify` refused a payload: bad signature, stale timestamp, missing header. */
export class WebhookVerificationError extends MailsiftError {
  override name = 'WebhookVerificationError';
}

function numberOr(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const families: Record<string, new (init: ApiErrorInit) => ApiError> = {
  INSUFFICIENT_SCOPE: PermissionError,
  IP_NOT_ALLOWED: PermissionError,
  FEATURE_NOT_AVAILABLE: PermissionError,
  INSUFFICIENT_CREDITS: InsufficientCreditsError,
  NOT_FOUND: NotFoundError,
  IDEMPOTENCY_CONFLICT: ConflictError,
  RATE_LIMIT_EXCEEDED: RateLimitError,
  QUOTA_EXCEEDED: QuotaExceededError,
  GRACE_PERIOD_EXCEEDED: QuotaExceededError,
  DAILY_LIMIT_EXCEEDED: QuotaExceededError,
  VALIDATION_TIMEOUT: ValidationTimeoutError,
  SERVICE_UNAVAILABLE: ServiceUnavailableError,
};

/** `Retry-After` in seconds (delta-seconds or an HTTP date), or null. */
export function retryAfterOf(headers: Headers): number | null {
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Number(raw.trim());
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * The error for an answer that is not a success: by the envelope's code where it has one
 * (API.md's error table), else by the status alone (a proxy's 502 page has no envelope).
 */
export function errorFromResponse(status: number, headers: Headers, body: unknown): ApiError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error;
  const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${status}`;
  const init: ApiErrorInit = {
    code,
    status,
    message:
      typeof envelope?.message === 'string'
        ? envelope.message
        : `HTTP ${status} without an error body`,
    details:
      envelope?.details && typeof envelope.details === 'object'
        ? (envelope.details as Record<string, unknown>)
        : {},
    requestId: headers.get('x-request-id'),
    retryAfter: retryAfterOf(headers),
  };
  const Family =
    families[code] ??
    (status === 401
      ? AuthenticationError
      : status === 400
        ? ValidationInputError
        : status === 503
          ? ServiceUnavailableError
          : ApiError);
  return new Family(init);
}
