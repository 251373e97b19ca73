import type { ErrorCode } from '../../domain/errors.ts';

/** One example body per error code, as API.md's error table describes it. */
const samples: Record<ErrorCode, [string, Record<string, unknown>?]> = {
  VALIDATION_ERROR: [
    'The request is invalid.',
    { fields: { emails: { '3': ['Must not be empty.'] } } },
  ],
  MALFORMED_REQUEST: [
    'The request is not valid HTTP/1.1 (Parse Error: Invalid header value char).',
  ],
  MISSING_INPUT: ["Provide either a 'csv_file' upload or an 'emails' list."],
  INVALID_CSV: ['No email column could be found.', { line: 1 }],
  MISSING_EMAIL: ["Provide the address to validate as 'email'."],
  INVALID_EMAIL: ["'email' must be a non-empty string of at most 320 characters."],
  BATCH_EMPTY: ['The batch holds no address.', { submitted: 0, maximum: 100 }],
  BATCH_TOO_LARGE: [
    'A batch holds at most 100 addresses; use a job for more.',
    { submitted: 150, maximum: 100 },
  ],
  MISSING_API_KEY: [
    "No API key. Send it as 'Authorization: Token <key>', 'Authorization: Bearer <key>', an 'X-API-Key: <key>' header, or an '?api_key=<key>' query parameter.",
  ],
  INVALID_API_KEY: ['The API key is not valid.'],
  API_KEY_DISABLED: ['The API key is disabled.'],
  API_KEY_EXPIRED: ['The API key has expired.', { expiredAt: '2026-01-01T00:00:00.000Z' }],
  INSUFFICIENT_CREDITS: ['Not enough credits.', { required: 990, balance: 12 }],
  INSUFFICIENT_SCOPE: [
    "The key lacks the scope 'validate:write'.",
    { requiredScope: 'validate:write', availableScopes: ['validate:read'] },
  ],
  IP_NOT_ALLOWED: ["The request's IP is not in the key's allowlist.", { requestIp: '203.0.113.9' }],
  FEATURE_NOT_AVAILABLE: [
    'The SMTP probe needs the business plan.',
    { feature: 'smtp', currentTier: 'growth', requiredTier: 'business' },
  ],
  NOT_FOUND: ['Job not found.'],
  METHOD_NOT_ALLOWED: ['GET is not allowed on /v1/validate; it answers POST.', { allow: ['POST'] }],
  REQUEST_TIMEOUT: ['The request was not received in full within 300 seconds.'],
  IDEMPOTENCY_CONFLICT: ['This Idempotency-Key was used with a different request.'],
  PAYLOAD_TOO_LARGE: ['The upload is larger than 104857600 bytes.', { maximum: 104857600 }],
  UNSUPPORTED_MEDIA_TYPE: ['Send application/json or multipart/form-data.'],
  EXPECTATION_FAILED: ["Only 'Expect: 100-continue' is supported."],
  REQUEST_HEADERS_TOO_LARGE: [
    'The request headers are larger than 16384 bytes.',
    { maximum: 16384 },
  ],
  RATE_LIMIT_EXCEEDED: [
    'Too many requests: 60 per minute.',
    { limit: 60, window: 60, retryAfter: 12 },
  ],
  DAILY_LIMIT_EXCEEDED: [
    "This request needs 5000 test-key emails; 96 of today's 100 are left. The daily limit resets at midnight UTC.",
    { limit: 100, used: 4, requested: 5000, remaining: 96, resetsAt: '2026-01-16T00:00:00.000Z' },
  ],
  QUOTA_EXCEEDED: [
    'The monthly quota is used up.',
    { limit: 100, used: 100, percentage: 100, tier: 'free' },
  ],
  GRACE_PERIOD_EXCEEDED: [
    'The monthly quota and its grace are used up.',
    {
      limit: 10000,
      used: 12000,
      percentage: 120,
      hardLimit: 12000,
      resetsAt: '2026-02-01T00:00:00.000Z',
    },
  ],
  INTERNAL_ERROR: ['An unexpected error occurred (request req_0f3c2a…).'],
  VALIDATION_TIMEOUT: ['The validation passed its 30 s deadline; retry with quick_mode: true.'],
  SERVICE_UNAVAILABLE: ['A backing service is unreachable; try again shortly.'],
};

export const errorExamples = Object.fromEntries(
  Object.entries(samples).map(([code, [message, details]]) => [
    code,
    {
      error: { code, message, ...(details ? { details } : {}) },
      timestamp: '2026-01-15T10:30:00.000Z',
    },
  ]),
) as Record<ErrorCode, unknown>;
