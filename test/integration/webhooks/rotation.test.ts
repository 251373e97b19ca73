import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { ADMIN_TOKEN, api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import {
  attemptsWhen,
  createJobWithWebhook,
  delivered,
  FAST_WEBHOOKS,
  verifyWith,
} from '../../support/webhooks.ts';

const admin = () => api(h.url, undefined);
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const h = useHarness(FAST_WEBHOOKS, { workers: true });
const r = useResource(() => startReceiver());

describe('webhook secret rotation', () => {
  it('when the secret is rotated, then deliveries carry two signatures and verify with the old and the new secret', async () => {
    const acct = await h.account('business', 10);
    const rotated = await admin()(
      'POST',
      `/admin/accounts/${acct.id}/webhook-secret/rotate`,
      undefined,
      asAdmin,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.json.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.json.webhook_secret).not.toBe(acct.webhookSecret);
    const expires = Date.parse(rotated.json.previous_expires_at);
    expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const jobId = await createJobWithWebhook(api(h.url, acct.test), `${r.url}/rotating`);
    await attemptsWhen(api(h.url, acct.test), jobId, delivered, 'delivery');
    const req = r.requests.find((q) => JSON.parse(q.body.toString()).data.id === jobId)!;
    const signatures = String(req.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith('v1,'))).toBe(true);
    expect(verifyWith(rotated.json.webhook_secret, req).data.id).toBe(jobId);
    expect(verifyWith(acct.webhookSecret, req).data.id).toBe(jobId);
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
        req.body.toString(),
        req.headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it('when the account does not exist, then rotation is 404', async () => {
    const res = await admin()(
      'POST',
      '/admin/accounts/acct_nope/webhook-secret/rotate',
      undefined,
      asAdmin,
    );
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
  });

  it('when the operator runs `cli rotate-webhook-secret`, then it prints the new secret and the old one stays as previous', async () => {
    const acct = await h.account('business', 10);
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'src/cli.ts', 'rotate-webhook-secret', acct.id],
      {
        env: { ...process.env, DATABASE_URL: h.config.db.url, LOG_LEVEL: 'silent' },
        timeout: 30_000,
      },
    );
    const out = JSON.parse(stdout);
    expect(out.webhook_secret).toMatch(/^whsec_/);
    const row = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(row.webhookSecret).toBe(out.webhook_secret);
    expect(row.webhookSecretPrevious).toBe(acct.webhookSecret);
    expect(row.webhookSecretRotatedAt!.getTime() + 24 * 3600_000).toBe(
      Date.parse(out.previous_expires_at),
    );
  });
});
