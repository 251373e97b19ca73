import { z } from 'zod';
import { jobResourceSchema } from '../../domain/jobs/job-resource.ts';
import { VERDICT_REASONS } from '../../validation/types.ts';

/**
 * Response bodies of the job routes (API.md "Jobs", "Result"). The mappers return these types
 * and the OpenAPI document is generated from these schemas: one source for both.
 */

export const verdictStatusSchema = z
  .enum(['deliverable', 'undeliverable', 'risky', 'unknown'])
  .meta({ id: 'VerdictStatus' });

export const verdictReasonSchema = z
  .enum(VERDICT_REASONS)
  .meta({ id: 'VerdictReason', description: "Why the verdict is what it is (API.md's table)." });

export const smtpCheckSchema = z
  .object({
    code: z.int().nullable(),
    enhanced_code: z.string().nullable(),
    message: z.string().nullable(),
  })
  .meta({ id: 'SmtpCheck', description: "The MX host's reply to RCPT TO." });

export const checksSchema = z
  .object({
    syntax: z.boolean(),
    domain: z.string().nullable(),
    mx_found: z.boolean(),
    mx_host: z.string().nullable(),
    disposable: z.boolean(),
    role: z.boolean(),
    free: z.boolean(),
    catch_all: z.boolean().nullable().describe('null when it was not tested.'),
    smtp: smtpCheckSchema.nullable().describe('null when no SMTP probe ran.'),
    provider: z
      .string()
      .nullable()
      .describe(
        'The mailbox provider known from the MX hosts (`google`, `microsoft`, `yahoo`...; docs/providers.md), else null.',
      ),
    gateway: z
      .string()
      .nullable()
      .describe(
        'The security gateway the MX points to (`mimecast`, `proofpoint`, `barracuda`...), else null.',
      ),
  })
  .meta({ id: 'Checks' });

export const resultSchema = z
  .object({
    index: z.int().min(0).describe('0-based position in the input.'),
    email: z.string().describe('The address as it was submitted.'),
    normalized: z.string().nullable().describe('Trimmed, domain lower-cased; null if invalid.'),
    status: verdictStatusSchema,
    reason: verdictReasonSchema,
    did_you_mean: z.string().nullable(),
    duplicate_of: z
      .int()
      .min(0)
      .nullable()
      .describe('Index of the first occurrence of this address, for a duplicate.'),
    checks: checksSchema.nullable(),
    duration_ms: z.int().min(0),
  })
  .meta({
    id: 'Result',
    description: 'The verdict on one address.',
    example: {
      index: 0,
      email: ' Alice@Example.COM',
      normalized: 'Alice@example.com',
      status: 'deliverable',
      reason: 'accepted_email',
      did_you_mean: null,
      duplicate_of: null,
      checks: {
        syntax: true,
        domain: 'example.com',
        mx_found: true,
        mx_host: 'mx1.example.com',
        disposable: false,
        role: false,
        free: false,
        catch_all: false,
        smtp: { code: 250, enhanced_code: '2.1.5', message: 'OK' },
        provider: null,
        gateway: null,
      },
      duration_ms: 412,
    },
  });

export const jobListSchema = z
  .object({ data: z.array(jobResourceSchema), has_more: z.boolean() })
  .meta({ id: 'JobList', description: 'One page of jobs, newest first.' });

export const resultPageSchema = z
  .object({
    data: z.array(resultSchema),
    next_cursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the next page; null at the end.'),
  })
  .meta({ id: 'ResultPage', description: 'One page of results, in input order.' });

export const webhookAttemptSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_attempt'),
    event_id: z.string(),
    event_type: z.enum(['job.completed', 'job.failed']),
    attempt: z.int().min(1),
    url: z.string(),
    status_code: z.int().nullable().describe("The receiver's HTTP status; null if no reply."),
    error: z.string().nullable(),
    duration_ms: z.int().min(0),
    attempted_at: z.iso.datetime({ offset: true }).nullable(),
    next_retry_at: z.iso.datetime({ offset: true }).nullable(),
    success: z.boolean(),
  })
  .meta({ id: 'WebhookAttempt', description: 'One delivery attempt of a job webhook.' });

export const webhookAttemptListSchema = z
  .object({ data: z.array(webhookAttemptSchema) })
  .meta({ id: 'WebhookAttemptList' });

export const jobSummarySchema = z
  .object({
    object: z.literal('job_summary'),
    job_id: z.string(),
    status: jobResourceSchema.shape.status,
    total: z.int().min(0),
    processed: z.int().min(0),
    counts: jobResourceSchema.shape.counts,
    reasons: z.array(
      z.object({ status: verdictStatusSchema, reason: verdictReasonSchema, count: z.int().min(1) }),
    ),
  })
  .meta({
    id: 'JobSummary',
    description:
      'Rows per status and per reason (a duplicate counts with its first occurrence); partial while the job runs.',
  });

export type JobSummary = z.infer<typeof jobSummarySchema>;
export type Result = z.infer<typeof resultSchema>;
export type Checks = z.infer<typeof checksSchema>;
export type ResultPage = z.infer<typeof resultPageSchema>;
export type JobList = z.infer<typeof jobListSchema>;
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;
export type WebhookAttemptList = z.infer<typeof webhookAttemptListSchema>;
