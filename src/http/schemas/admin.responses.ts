import { z } from 'zod';

/** Response bodies of the operator routes and the health probes (API.md "Admin", "Operations"). */

const isoTime = z.iso.datetime({ offset: true });

export const createdAccountSchema = z
  .object({
    id: z.string(),
    webhook_secret: z.string().describe('`whsec_` + base64; signs the webhooks of this account.'),
    keys: z
      .object({ live: z.string(), test: z.string() })
      .describe('Plain keys, shown only now (stored hashed).'),
    key_ids: z
      .object({ live: z.string(), test: z.string() })
      .describe('The ids of those keys (`key_…`), for `PATCH /admin/keys/{id}`.'),
  })
  .meta({ id: 'CreatedAccount' });

export const accountSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    plan: z.string(),
    credit_balance: z.int(),
    monthly_quota: z.int().min(0).describe("The quota in force: the custom one, or the plan's."),
    custom_quota: z.boolean(),
    test_daily_limit: z
      .int()
      .min(0)
      .nullable()
      .describe("The account's own daily test-key allowance; null: TEST_DAILY_LIMIT."),
    results_retention_days: z
      .int()
      .min(1)
      .nullable()
      .describe("The account's own results retention in days; null: RESULTS_RETENTION_DAYS."),
    created_at: isoTime,
  })
  .meta({ id: 'AccountSummary' });

export const accountListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(accountSummarySchema).describe('Newest first.'),
    has_more: z.boolean(),
  })
  .meta({ id: 'AccountList' });

export const keySummarySchema = z
  .object({
    id: z.string(),
    mode: z.enum(['live', 'test']),
    prefix: z.string().describe('The first characters of the key; the key itself is not stored.'),
    scopes: z.array(z.string()),
    ip_allowlist: z.array(z.string()),
    expires_at: isoTime.nullable(),
    disabled: z.boolean(),
    expired: z.boolean(),
    created_at: isoTime,
  })
  .meta({ id: 'KeySummary' });

export const keyListSchema = z
  .object({ object: z.literal('list'), data: z.array(keySummarySchema).describe('Oldest first.') })
  .meta({ id: 'KeyList' });

export const createdKeySchema = z
  .object({ id: z.string(), key: z.string().describe('The plain key, shown only now.') })
  .meta({ id: 'CreatedKey' });

export const keyStateSchema = z
  .object({ id: z.string(), disabled: z.boolean(), disabled_at: isoTime.nullable() })
  .meta({ id: 'KeyState' });

export const balanceSchema = z.object({ balance: z.int().min(0) }).meta({ id: 'Balance' });

export const rotatedSecretSchema = z
  .object({
    webhook_secret: z.string(),
    previous_expires_at: isoTime.describe('Until then the previous secret signs too.'),
  })
  .meta({ id: 'RotatedSecret' });

export const accountPlanSchema = z
  .object({
    id: z.string(),
    plan: z.string(),
    monthly_quota: z.int().min(0).describe("The quota in force: the custom one, or the plan's."),
    custom_quota: z.boolean().describe('True when the account has its own monthly quota.'),
    results_retention_days: z
      .int()
      .min(1)
      .describe("Days a job is kept after it ends: the account's own, or RESULTS_RETENTION_DAYS."),
    custom_retention: z.boolean().describe('True when the account has its own retention.'),
  })
  .meta({ id: 'AccountPlan' });

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const readySchema = z
  .object({ status: z.literal('ready'), redis: z.literal('ok'), postgres: z.literal('ok') })
  .meta({ id: 'Ready' });

export type CreatedAccount = z.infer<typeof createdAccountSchema>;
export type CreatedKey = z.infer<typeof createdKeySchema>;
export type AccountList = z.infer<typeof accountListSchema>;
export type KeyList = z.infer<typeof keyListSchema>;
export type KeyState = z.infer<typeof keyStateSchema>;
export type Balance = z.infer<typeof balanceSchema>;
export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;
export type AccountPlan = z.infer<typeof accountPlanSchema>;
export type Health = z.infer<typeof healthSchema>;
export type Ready = z.infer<typeof readySchema>;
