import { timingSafeEqual, createHash } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import {
  addCredits,
  createAccount,
  createApiKey,
  disableApiKey,
} from '../../domain/accounts/manage-accounts.ts';
import { allScopes } from '../../domain/accounts/keys.ts';
import { planNames } from '../../domain/billing/plans.ts';
import { DomainError, validationError } from '../../domain/errors.ts';
import { rotateWebhookSecret } from '../../domain/webhooks/rotate-secret.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

function adminOnly(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const presented = req.get('authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw new DomainError('INVALID_API_KEY', 'The admin token is missing or not valid.');
    }
    next();
  };
}

function body<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const fields: Record<string, string[]> = {};
  for (const issue of parsed.error.issues)
    (fields[issue.path.join('.') || 'body'] ??= []).push(issue.message);
  throw validationError(fields);
}

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

/** Operator routes; mounted only when ADMIN_TOKEN is set (otherwise they are 404). */
export function adminRouter(deps: Deps, token: string): Router {
  const router = Router();
  const { prisma } = deps.db;
  router.use(adminOnly(token), express.json({ limit: '64kb' }));

  router.post('/accounts', async (req, res) => {
    const b = body(accountBody, req.body);
    const account = await createAccount(prisma, {
      name: b.name,
      plan: b.plan as never,
      credits: b.credits,
    });
    res
      .status(201)
      .json({ id: account.id, webhook_secret: account.webhook_secret, keys: account.keys });
  });

  router.post('/accounts/:id/keys', async (req, res) => {
    const b = body(keyBody, req.body);
    const key = await createApiKey(prisma, req.params.id, {
      mode: b.mode,
      scopes: b.scopes as never,
      ipAllowlist: b.ip_allowlist ?? [],
      expiresAt: b.expires_at ? new Date(b.expires_at) : null,
    });
    res.status(201).json(key);
  });

  router.patch('/keys/:id', async (req, res) => {
    const b = body(z.object({ disabled: z.boolean() }), req.body);
    res.json(await disableApiKey(prisma, req.params.id, b.disabled));
  });

  router.post('/accounts/:id/credits', async (req, res) => {
    const b = body(
      z.object({ amount: z.number().int().min(-1_000_000_000).max(1_000_000_000) }),
      req.body,
    );
    res.json(await addCredits(prisma, req.params.id, b.amount));
  });

  router.post('/accounts/:id/webhook-secret/rotate', async (req, res) => {
    res.json(await rotateWebhookSecret(prisma, req.params.id));
  });
  return router;
}
