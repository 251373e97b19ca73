import express, { Router } from 'express';
import type { Deps } from '../../deps.ts';
import {
  addCredits,
  createAccount,
  createApiKey,
  disableApiKey,
} from '../../domain/accounts/manage-accounts.ts';
import { rotateWebhookSecret } from '../../domain/webhooks/rotate-secret.ts';
import { updateAccountSettings } from '../../domain/accounts/account-retention.ts';
import {
  accountBody,
  accountPlanBody,
  adminBody as body,
  adminQuery as query,
  creditsBody,
  keyBody,
  keyStateBody,
  listAccountsQuery,
} from '../schemas/admin.schemas.ts';
import { adminOnly } from '../middleware/admin-auth.ts';
import { listAccountKeys, listAccountsPage } from '../../domain/accounts/list-accounts.ts';
import { toDiagnostics } from '../schemas/diagnostics.responses.ts';
import { currentDiagnostics } from '../../domain/diagnostics/current-diagnostics.ts';
import type {
  AccountList,
  KeyList,
  AccountPlan,
  Balance,
  CreatedAccount,
  CreatedKey,
  KeyState,
  RotatedSecret,
} from '../schemas/admin.responses.ts';

/** Operator routes; mounted only when ADMIN_TOKEN is set (otherwise they are 404). */
export function adminRouter(deps: Deps, token: string): Router {
  const router = Router();
  router.use(adminOnly(token), express.json({ limit: '64kb' }));

  router.post('/accounts', async (req, res) => {
    const b = body(accountBody, req.body);
    const account = await createAccount(deps, {
      name: b.name,
      plan: b.plan as never,
      credits: b.credits,
    });
    res.status(201).json({
      id: account.id,
      webhook_secret: account.webhook_secret,
      keys: account.keys,
      key_ids: account.key_ids,
    } satisfies CreatedAccount);
  });

  router.get('/accounts', async (req, res) => {
    const q = query(listAccountsQuery, req.query);
    const page = await listAccountsPage(deps, {
      limit: q.limit,
      ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
    });
    res.json(page satisfies AccountList);
  });

  router.get('/accounts/:id/keys', async (req, res) => {
    res.json((await listAccountKeys(deps, req.params.id)) satisfies KeyList);
  });

  router.post('/accounts/:id/keys', async (req, res) => {
    const b = body(keyBody, req.body);
    const key = await createApiKey(deps, req.params.id, {
      mode: b.mode,
      scopes: b.scopes as never,
      ipAllowlist: b.ip_allowlist ?? [],
      expiresAt: b.expires_at ? new Date(b.expires_at) : null,
    });
    res.status(201).json(key satisfies CreatedKey);
  });

  router.patch('/keys/:id', async (req, res) => {
    const b = body(keyStateBody, req.body);
    const key = await disableApiKey(deps, req.params.id, b.disabled);
    res.json({
      id: key.id,
      disabled: key.disabled,
      disabled_at: key.disabled_at?.toISOString() ?? null,
    } satisfies KeyState);
  });

  router.post('/accounts/:id/credits', async (req, res) => {
    const b = body(creditsBody, req.body);
    res.json((await addCredits(deps, req.params.id, b.amount)) satisfies Balance);
  });

  router.get('/diagnostics', async (req, res) => {
    const report = await currentDiagnostics(deps, req.query.refresh === 'true');
    res.json(toDiagnostics(report));
  });

  router.post('/accounts/:id/webhook-secret/rotate', async (req, res) => {
    res.json((await rotateWebhookSecret(deps, req.params.id)) satisfies RotatedSecret);
  });
  router.patch('/accounts/:id', async (req, res) => {
    const b = body(accountPlanBody, req.body);
    const out = await updateAccountSettings(deps, req.params.id, {
      ...(b.plan !== undefined ? { plan: b.plan as never } : {}),
      ...(b.monthly_quota !== undefined ? { monthlyQuota: b.monthly_quota } : {}),
      ...(b.results_retention_days !== undefined
        ? { retentionDays: b.results_retention_days }
        : {}),
    });
    res.json(out satisfies AccountPlan);
  });
  return router;
}
