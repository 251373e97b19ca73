import type { Deps } from '../../deps.ts';
import { replaceSecret } from '../../data/webhooks.repository.ts';
import { generateWebhookSecret } from '../accounts/keys.ts';
import { notFound } from '../errors.ts';
import { previousExpiresAt } from './signature.ts';

/**
 * Gives an account a new webhook secret. The old one keeps signing next to it for
 * ROTATION_WINDOW_MS, so receivers can switch without missing an event. Rotating again within
 * the window retires the older secret at once: only the last two ever sign.
 */
export async function rotateWebhookSecret(
  deps: Pick<Deps, 'db'>,
  accountId: string,
  now = new Date(),
) {
  const secret = generateWebhookSecret();
  if (!(await replaceSecret(deps.db.prisma, accountId, secret, now))) throw notFound('Account');
  return { webhook_secret: secret, previous_expires_at: previousExpiresAt(now).toISOString() };
}
