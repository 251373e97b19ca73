import { z } from 'zod';
import { validationError } from '../../domain/errors.ts';
import { MAX_RETENTION_DAYS } from '../../config/env.ts';
import { allScopes } from '../../domain/accounts/keys.ts';
import { planNames } from '../../domain/billing/plans.ts';

/** Bodies of the operator routes (API.md "Admin"); the OpenAPI document shows them too. */
export const accountBody = z.object({
  name: z.string().trim().min(1).max(200),
  plan: z.enum(planNames as [string, ...string[]]).default('free'),
  credits: z.number().int().min(0).max(1_000_000_000).default(0),
});
export const keyBody = z.object({
  mode: z.enum(['live', 'test']).default('live'),
  scopes: z
    .array(z.enum(allScopes as [string, ...string[]]))
    .min(1)
    .optional(),
  ip_allowlist: z
    .array(
      z
        .string()
        .refine(
          (s) =>
            z.cidrv4().safeParse(s).success ||
            z.cidrv6().safeParse(s).success ||
            z.ipv4().safeParse(s).success ||
            z.ipv6().safeParse(s).success,
          'Must be an IP address or CIDR.',
        ),
    )
    .optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
export const keyStateBody = z.object({ disabled: z.boolean() });
export const creditsBody = z.object({
  amount: z.number().int().min(-1_000_000_000).max(1_000_000_000),
});
/** An account's own retention: whole days, at least one, at most ten years. */
export const retentionDays = z
  .int({ message: 'Must be a whole number of days.' })
  .min(1, { message: 'Must be at least 1 day.' })
  .max(MAX_RETENTION_DAYS, { message: `Must be at most ${MAX_RETENTION_DAYS} days.` });

export const accountPlanBody = z
  .object({
    plan: z.enum(planNames as [string, ...string[]]).optional(),
    monthly_quota: z
      .int()
      .min(1)
      .max(1_000_000_000)
      .nullable()
      .optional()
      .describe("The account's own monthly quota in emails; null: back to the plan's."),
    results_retention_days: retentionDays
      .nullable()
      .optional()
      .describe(
        "Days the account's jobs are kept after they end; null: back to RESULTS_RETENTION_DAYS. Applies at once to its existing jobs (docs/retention.md).",
      ),
  })
  .refine(
    (b) =>
      b.plan !== undefined ||
      b.monthly_quota !== undefined ||
      b.results_retention_days !== undefined,
    { message: 'Give plan, monthly_quota, results_retention_days or several.' },
  );

export const listAccountsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size.'),
    starting_after: z
      .string()
      .min(1)
      .optional()
      .describe('An account id: the page starts after it (the last id of the previous page).'),
  })
  .strict();

/** A body by its schema: each problem is named under its field (API.md's field map). */
export function adminBody<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const fields: Record<string, string[]> = {};
  for (const issue of parsed.error.issues)
    (fields[issue.path.join('.') || 'body'] ??= []).push(issue.message);
  throw validationError(fields);
}

/** Query parameters by a strict schema: an unknown one is a 400 that names it. */
export function adminQuery<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const fields: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) (fields[key] ??= []).push('Unknown query parameter.');
    } else (fields[issue.path.join('.') || 'query'] ??= []).push(issue.message);
  }
  throw validationError(fields);
}
