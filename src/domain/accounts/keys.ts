import { createHash, randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export type KeyMode = 'live' | 'test';
export type Scope = 'validate:read' | 'validate:write';
export const allScopes: Scope[] = ['validate:read', 'validate:write'];

/** API.md: `ms_live_<32+ base62 chars>` or `ms_test_<32+ base62 chars>`. */
export const KEY_PATTERN = /^ms_(live|test)_[0-9A-Za-z]{32,}$/;

export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/** Prefixed, unguessable ids: `job_…`, `acct_…`, `key_…`, `evt_…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(24)}`;
}

export function generateApiKey(mode: KeyMode): string {
  return `ms_${mode}_${randomBase62(40)}`;
}

/** Keys are stored as their SHA-256: a leaked table gives no usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
