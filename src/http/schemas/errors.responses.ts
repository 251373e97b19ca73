import { z } from 'zod';
import { errorCodes } from '../../domain/errors.ts';

/**
 * The error envelope of API.md. `details` lists every key some error code sets, each optional, so
 * clients get them typed; which code sets which is in API.md's error table. The OpenAPI document
 * narrows `error.code` per route and status to the codes that route can answer.
 */
export const errorCodeSchema = z.enum(errorCodes).meta({
  id: 'ErrorCode',
  description: "The codes of API.md's error table; each response lists those it can carry.",
});

const fieldMessages = z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]);

export const errorDetailsSchema = z
  .looseObject({
    fields: z
      .record(z.string(), fieldMessages)
      .describe(
        'VALIDATION_ERROR: messages per field, or per index for a list field; at most 100 entries.',
      ),
    fields_omitted: z
      .int()
      .describe('VALIDATION_ERROR: entries of `fields` left out past the first 100.'),
    allow: z.array(z.string()).describe('METHOD_NOT_ALLOWED: the methods the path answers.'),
    line: z.int().describe('INVALID_CSV: the line of the file, where known.'),
    submitted: z.int().describe('BATCH_EMPTY / BATCH_TOO_LARGE'),
    maximum: z
      .int()
      .describe(
        "BATCH_TOO_LARGE, PAYLOAD_TOO_LARGE (bytes, rows, or a test key's whole daily allowance)",
      ),
    requested: z
      .int()
      .describe(
        'DAILY_LIMIT_EXCEEDED, QUOTA_EXCEEDED, GRACE_PERIOD_EXCEEDED, PAYLOAD_TOO_LARGE: what the request asked for, where known.',
      ),
    remaining: z.int().describe('DAILY_LIMIT_EXCEEDED: what is left of the limit today.'),
    expiredAt: z.string().describe('API_KEY_EXPIRED'),
    required: z.int().describe('INSUFFICIENT_CREDITS: credits the request needs.'),
    balance: z.int().describe('INSUFFICIENT_CREDITS: credits the wallet holds.'),
    requiredScope: z.string().describe('INSUFFICIENT_SCOPE'),
    availableScopes: z.array(z.string()).describe('INSUFFICIENT_SCOPE'),
    requestIp: z.string().describe('IP_NOT_ALLOWED'),
    feature: z.string().describe('FEATURE_NOT_AVAILABLE'),
    currentTier: z.string().describe('FEATURE_NOT_AVAILABLE'),
    requiredTier: z.string().describe('FEATURE_NOT_AVAILABLE'),
    limit: z.int().describe('RATE_LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED, QUOTA_EXCEEDED, ...'),
    window: z.int().describe('RATE_LIMIT_EXCEEDED: the window, in seconds.'),
    retryAfter: z.int().describe('RATE_LIMIT_EXCEEDED: seconds, as in Retry-After.'),
    used: z.int().describe('DAILY_LIMIT_EXCEEDED, QUOTA_EXCEEDED, GRACE_PERIOD_EXCEEDED'),
    percentage: z.number().describe('QUOTA_EXCEEDED, GRACE_PERIOD_EXCEEDED'),
    tier: z.string().describe('QUOTA_EXCEEDED'),
    hardLimit: z.int().describe('GRACE_PERIOD_EXCEEDED'),
    resetsAt: z.string().describe('DAILY_LIMIT_EXCEEDED, GRACE_PERIOD_EXCEEDED'),
  })
  .partial()
  .meta({
    id: 'ErrorDetails',
    description: 'Present where the error table of API.md names details.',
  });

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: errorCodeSchema,
      message: z.string().describe('Human-readable; may change, never parse it.'),
      details: errorDetailsSchema.optional(),
      request_id: z
        .string()
        .optional()
        .describe('The X-Request-Id of this response: quote it when asking for support.'),
    }),
    timestamp: z.iso.datetime({ offset: true }),
  })
  .meta({
    id: 'Error',
    description: 'Every error, from every route, has this body.',
    example: {
      error: {
        code: 'INSUFFICIENT_CREDITS',
        message: 'This request needs 990 credits; the wallet holds 12.',
        details: { required: 990, balance: 12 },
      },
      timestamp: '2026-01-15T10:30:00.000Z',
    },
  });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;
