import { WebhookVerificationError } from './errors.js';
import type { WebhookEvent } from './types.js';

/** Standard Webhooks' replay window. */
const TOLERANCE_S = 5 * 60;

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | null {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name);
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Constant-time comparison of two strings of base64. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Verifies a webhook delivery the Standard Webhooks way and returns its event: the HMAC-SHA256
 * of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the account's `whsec_` secret, must
 * match one of the `v1,` signatures, and the timestamp must be within 5 minutes of now.
 * `payload` must be the raw body as received (a re-serialised JSON would not match).
 * Web Crypto only: runs in Node 20+ and browsers alike.
 */
export async function verifyWebhook(
  payload: string | Uint8Array,
  headers: HeaderBag,
  secret: string,
  now: Date = new Date(),
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature',
    );
  }
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - ts) > TOLERANCE_S) {
    throw new WebhookVerificationError('webhook-timestamp is not within 5 minutes of now');
  }
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  let key: Uint8Array;
  try {
    key = base64ToBytes(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  } catch {
    throw new WebhookVerificationError('The secret is not whsec_ followed by base64');
  }
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = bytesToBase64(
    new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, signed)),
  );
  const match = signatures
    .split(' ')
    .some((s) => s.startsWith('v1,') && same(s.slice(3), expected));
  if (!match) throw new WebhookVerificationError('No signature matches');
  try {
    return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('The payload is not JSON');
  }
}
