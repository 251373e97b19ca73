import { validationError } from '../errors.ts';

/** Checked at job creation: http(s), a host, no credentials. Addresses are checked at send time. */
export function assertWebhookUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError({ webhook_url: ['Must be an absolute http(s) URL.'] });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationError({ webhook_url: ['Must use http or https.'] });
  }
  if (url.username || url.password) {
    throw validationError({ webhook_url: ['Must not carry credentials.'] });
  }
  if (!url.hostname) throw validationError({ webhook_url: ['Must name a host.'] });
  if (raw.length > 2048)
    throw validationError({ webhook_url: ['Must be at most 2048 characters.'] });
}
