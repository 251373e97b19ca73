import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  ROTATION_WINDOW_MS,
  signingSecrets,
  webhookHeaders,
} from '../../../../src/domain/webhooks/signature.ts';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = Buffer.from(
  JSON.stringify({ id: 'evt_1', type: 'job.completed', data: { name: 'Zoë ✓' } }),
);

describe('webhook signatures (checked with the standardwebhooks package)', () => {
  it('when an event is signed, then the standard verifier accepts it and returns the body', () => {
    const s = secret();
    const headers = webhookHeaders([s], 'evt_1', body, new Date());
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(s).verify(body.toString(), headers)).toEqual(JSON.parse(body.toString()));
  });

  it('when the body, id or secret differ, then verification fails', () => {
    const s = secret();
    const headers = webhookHeaders([s], 'evt_1', body, new Date());
    expect(() => new Webhook(s).verify(`${body.toString()} `, headers)).toThrow();
    expect(() =>
      new Webhook(s).verify(body.toString(), { ...headers, 'webhook-id': 'evt_2' }),
    ).toThrow();
    expect(() => new Webhook(secret()).verify(body.toString(), headers)).toThrow();
  });

  it('when a secret was rotated within the window, then both sign and either verifies', () => {
    const [oldS, newS] = [secret(), secret()];
    const now = new Date();
    const secrets = signingSecrets(
      {
        webhookSecret: newS,
        webhookSecretPrevious: oldS,
        webhookSecretRotatedAt: new Date(now.getTime() - 3600_000),
      },
      now,
    );
    expect(secrets).toEqual([newS, oldS]);
    const headers = webhookHeaders(secrets, 'evt_1', body, now);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(newS).verify(body.toString(), headers)).not.toThrow();
    expect(() => new Webhook(oldS).verify(body.toString(), headers)).not.toThrow();
  });

  it('when the rotation window has passed, then only the new secret signs', () => {
    const now = new Date();
    const rotatedAt = new Date(now.getTime() - ROTATION_WINDOW_MS);
    expect(
      signingSecrets(
        { webhookSecret: 'new', webhookSecretPrevious: 'old', webhookSecretRotatedAt: rotatedAt },
        now,
      ),
    ).toEqual(['new']);
    expect(
      signingSecrets(
        { webhookSecret: 'new', webhookSecretPrevious: null, webhookSecretRotatedAt: null },
        now,
      ),
    ).toEqual(['new']);
  });
});
