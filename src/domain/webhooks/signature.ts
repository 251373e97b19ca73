import { createHmac } from 'node:crypto';

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_WINDOW_MS = 24 * 3600 * 1000;

const PREFIX = 'whsec_';

export interface AccountSecrets {
  webhookSecret: string;
  webhookSecretPrevious: string | null;
  webhookSecretRotatedAt: Date | null;
}

/** The secrets that sign now: the current one, then the previous one while its window lasts. */
export function signingSecrets(a: AccountSecrets, now: Date): string[] {
  const previousLive =
    a.webhookSecretPrevious !== null &&
    a.webhookSecretRotatedAt !== null &&
    now.getTime() < a.webhookSecretRotatedAt.getTime() + ROTATION_WINDOW_MS;
  return previousLive ? [a.webhookSecret, a.webhookSecretPrevious!] : [a.webhookSecret];
}

/** When the previous secret stops signing. */
export function previousExpiresAt(rotatedAt: Date): Date {
  return new Date(rotatedAt.getTime() + ROTATION_WINDOW_MS);
}

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,<base64 HMAC-SHA256>` of
 * `{id}.{timestamp}.{body}` per secret, space-separated (receivers accept any one that matches).
 * The key is the base64 after `whsec_`; the body is the exact bytes sent.
 */
export function signatureHeader(
  secrets: string[],
  id: string,
  timestamp: number,
  body: Buffer,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(
        secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret,
        'base64',
      );
      const mac = createHmac('sha256', key)
        .update(`${id}.${timestamp}.`)
        .update(body)
        .digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}

/** All headers that authenticate one attempt; the timestamp is the attempt's, the id the event's. */
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function webhookHeaders(
  secrets: string[],
  id: string,
  body: Buffer,
  now: Date,
): WebhookHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, id, timestamp, body),
  };
}
