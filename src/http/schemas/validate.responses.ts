import { z } from 'zod';
import { allScopes, type Scope } from '../../domain/accounts/keys.ts';
import { planNames, type PlanName } from '../../domain/billing/plans.ts';
import {
  checksSchema,
  resultSchema,
  verdictReasonSchema,
  verdictStatusSchema,
} from './jobs.responses.ts';

/** Response bodies of sync validation, account and enrichment (API.md); the mappers return them. */

const isoTime = z.iso.datetime({ offset: true });
const remainingCredits = z.int().describe("The account's wallet balance after this request.");

export const validateResponseSchema = z
  .object({ result: resultSchema, remaining_credits: remainingCredits })
  .meta({ id: 'ValidateResponse' });

export const batchResponseSchema = z
  .object({ results: z.array(resultSchema), remaining_credits: remainingCredits })
  .meta({ id: 'BatchResponse' });

export const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    plan: z.enum(planNames as [PlanName, ...PlanName[]]),
    remaining_credits: z.int(),
    usage: z.object({
      today: z.int().min(0).describe('Live emails validated today (UTC).'),
      month: z.int().min(0).describe('Live emails validated this month: what the quota counts.'),
      monthly_quota: z.int().min(0),
      requests_today: z.int().min(0),
      requests_per_day: z.int().nullable().describe("The plan's daily request limit; null: none."),
      test_today: z.int().min(0).describe('Test-key emails today.'),
      test_daily_limit: z.int().min(0),
    }),
    key: z.object({
      id: z.string(),
      mode: z.enum(['live', 'test']),
      scopes: z.array(z.enum(allScopes as [Scope, ...Scope[]])),
      expires_at: isoTime.nullable(),
    }),
    features: z
      .object({ smtp: z.boolean().describe('The plan includes the SMTP probe.') })
      .describe('What the plan includes.'),
  })
  .meta({ id: 'Account', description: 'The account of the key that sent the request.' });

const enrichmentNotFound = z
  .object({
    success: z.literal(true),
    status: z.literal('not_found'),
    message: z.literal('Email not found'),
    remaining_credits: remainingCredits,
  })
  .meta({ id: 'EnrichmentNotFound', description: 'The account never validated this address.' });

const enrichmentFound = z
  .object({
    success: z.literal(true),
    status: z.literal('found'),
    email: z.string().describe('The normalized address.'),
    result: z.object({
      status: verdictStatusSchema,
      reason: verdictReasonSchema,
      did_you_mean: z.string().nullable(),
      checks: checksSchema,
      source: z
        .string()
        .describe(
          'What produced the verdict: `validate` (POST /v1/validate or /batch) or `job` (a job of this account, while it is kept).',
        ),
      validated_at: isoTime.describe(
        "When the verdict was learnt; a job's verdicts are dated by the job's end (while it runs: now).",
      ),
    }),
    domain: z.object({
      name: z.string(),
      mx_found: z.boolean(),
      mx_host: z.string().nullable(),
      disposable: z.boolean(),
      free: z.boolean(),
      catch_all: z.boolean().nullable(),
      known_addresses: z
        .object({
          deliverable: z.int().min(0),
          undeliverable: z.int().min(0),
          risky: z.int().min(0),
          unknown: z.int().min(0),
        })
        .describe("The account's known addresses at this domain, by verdict."),
      last_validated_at: isoTime,
    }),
    remaining_credits: remainingCredits,
  })
  .meta({ id: 'EnrichmentFound', description: 'The latest verdict the account got for it.' });

export const enrichmentSchema = z
  .discriminatedUnion('status', [enrichmentFound, enrichmentNotFound])
  .meta({ id: 'Enrichment' });

export type ValidateResponse = z.infer<typeof validateResponseSchema>;
export type BatchResponse = z.infer<typeof batchResponseSchema>;
export type AccountResponse = z.infer<typeof accountSchema>;
export type EnrichmentResponse = z.infer<typeof enrichmentSchema>;
