import { literalIpOf, refusalOf } from '../webhooks/address-policy.ts';
import { validationError } from '../errors.ts';

/**
 * Checked at job creation: http(s), a host, no credentials, and (unless `allowPrivate`) no
 * literal IP address that is not public unicast, in any spelling. Host names are resolved and
 * checked at send time, where DNS changes are seen.
 */
export function assertWebhookUrl(raw: string, allowPrivate: boolean): void {
  const invalid = (message: string) => validationError({ webhook_url: [message] });
  if (raw.length > 2048) throw invalid('Must be at most 2048 characters.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('Must be an absolute http(s) URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('Must use http or https.');
  if (url.username || url.password) throw invalid('Must not carry credentials.');
  if (!url.hostname) throw invalid('Must name a host.');
  const literal = literalIpOf(url);
  if (!allowPrivate && literal !== null && refusalOf(literal) !== null) {
    throw invalid('Must not point at a private, loopback, link-local or reserved address.');
  }
}
