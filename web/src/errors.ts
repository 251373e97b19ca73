import type { ApiError } from './api-error.ts';

/**
 * The errors of API.md as sentences for people who clean lists, never raw JSON; `where` says
 * which part of the form caused it, so the page can put the sentence next to it.
 */

export type Where =
  'key' | 'file' | 'email_column' | 'name' | 'webhook_url' | 'smtp' | 'submit' | 'email';

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');
const num = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en') : str(v));

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}

/** "in 42 seconds (at 14:05 UTC)" / "in 3 hours (at 00:00 UTC)". */
export function whenFrom(seconds: number | null, at?: unknown, now = Date.now()): string {
  const target =
    typeof at === 'string' && !Number.isNaN(Date.parse(at))
      ? new Date(at)
      : seconds !== null
        ? new Date(now + seconds * 1000)
        : null;
  if (!target) return 'later';
  const s = Math.max(1, Math.round((target.getTime() - now) / 1000));
  const span =
    s < 90
      ? `${s} second${s === 1 ? '' : 's'}`
      : s < 5400
        ? `${Math.round(s / 60)} minutes`
        : s < 172800
          ? `${Math.round(s / 3600)} hours`
          : `${Math.round(s / 86400)} days`;
  const clock = target.toISOString().slice(11, 16);
  const day = target.toISOString().slice(0, 10);
  return `in ${span} (at ${clock} UTC${s >= 86400 ? ` on ${day}` : ''})`;
}

function firstField(details: Record<string, unknown>): [string, string] | null {
  const fields = details.fields as Record<string, unknown> | undefined;
  if (!fields) return null;
  for (const [name, value] of Object.entries(fields)) {
    // A field's messages: a list, or a map by index for list fields ({"emails": {"3": [...]}}).
    const list: unknown =
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.values(value as Record<string, unknown>)[0]
        : value;
    const text = str(Array.isArray(list) ? (list as unknown[])[0] : list);
    return [name, text];
  }
  return null;
}

export interface Explained {
  where: Where;
  sentence: string;
}

/** The sentence for an API error, and the part of the page it belongs to. */
export function explain(
  err: ApiError,
  context: 'sign-in' | 'upload' | 'check' | 'other' = 'other',
): Explained {
  const d = err.details;
  const keyWhere: Where = context === 'sign-in' ? 'key' : 'submit';
  switch (err.code) {
    case 'NETWORK':
      return {
        where: 'submit',
        sentence: 'mailsift could not be reached. Check your connection and try again.',
      };
    case 'MISSING_API_KEY':
      return { where: 'key', sentence: 'Enter your API key to sign in.' };
    case 'INVALID_API_KEY':
      return {
        where: keyWhere,
        sentence:
          'This API key is not valid. Check that you pasted all of it (it starts with ms_live_ or ms_test_).',
      };
    case 'API_KEY_DISABLED':
      return {
        where: keyWhere,
        sentence: 'This API key has been disabled. Ask your administrator for a new one.',
      };
    case 'API_KEY_EXPIRED':
      return {
        where: keyWhere,
        sentence: `This API key expired${typeof d.expiredAt === 'string' ? ` on ${d.expiredAt.slice(0, 10)}` : ''}. Ask your administrator for a new one.`,
      };
    case 'INSUFFICIENT_SCOPE':
      return {
        where: keyWhere,
        sentence: `This API key is not allowed to do this: it needs the "${str(d.requiredScope)}" permission.`,
      };
    case 'IP_NOT_ALLOWED':
      return {
        where: keyWhere,
        sentence: `This API key does not accept requests from your address${d.requestIp ? ` (${str(d.requestIp)})` : ''}.`,
      };
    case 'INSUFFICIENT_CREDITS':
      return {
        where: 'submit',
        sentence: `Not enough credits: this list needs ${num(d.required)} credits and the account has ${num(d.balance)}. Add credits or upload a shorter list.`,
      };
    case 'PAYLOAD_TOO_LARGE': {
      const max = typeof d.maximum === 'number' ? d.maximum : null;
      if (typeof d.requested === 'number') {
        // A test key's list larger than its whole daily allowance: no day would take it.
        return {
          where: 'submit',
          sentence: `This list has ${num(d.requested)} addresses, more than the test key's daily allowance of ${num(max)}. Upload at most ${num(max)} with the test key, or use the live key.`,
        };
      }
      const rows = /rows|addresses/.test(err.message);
      return {
        where: context === 'upload' ? 'file' : 'submit',
        sentence: rows
          ? `This file has too many rows: a list may hold at most ${num(max)} addresses. Split it into smaller files.`
          : `This file is too large: the limit is ${max === null ? 'exceeded' : formatBytes(max)}. Split it into smaller files.`,
      };
    }
    case 'INVALID_CSV': {
      const line = typeof d.line === 'number' ? ` (line ${d.line.toLocaleString('en')})` : '';
      const noColumn = /email column/i.test(err.message);
      return {
        where: 'file',
        sentence: noColumn
          ? `No column of email addresses was found in this file${line}. Choose the column that holds them in the preview, or add a header such as "email".`
          : `This file could not be read as a CSV list${line}: ${err.message}`,
      };
    }
    case 'MISSING_INPUT':
      return { where: 'file', sentence: 'Choose a CSV file to upload.' };
    case 'MISSING_EMAIL':
    case 'INVALID_EMAIL':
      return { where: 'email', sentence: 'Enter an email address to check.' };
    case 'FEATURE_NOT_AVAILABLE':
      return {
        where: 'smtp',
        sentence: `The ${str(d.feature) === 'smtp' ? 'SMTP probe' : str(d.feature)} is not part of the ${str(d.currentTier)} plan; it comes with the ${str(d.requiredTier)} plan.`,
      };
    case 'RATE_LIMIT_EXCEEDED':
      return {
        where: 'submit',
        sentence: `Too many requests in a minute (the limit is ${num(d.limit)}). Try again ${whenFrom(typeof d.retryAfter === 'number' ? d.retryAfter : err.retryAfter)}.`,
      };
    case 'DAILY_LIMIT_EXCEEDED': {
      const fits =
        typeof d.requested === 'number' && typeof d.remaining === 'number'
          ? `This list needs ${num(d.requested)} of today's ${num(d.limit)} test-key emails; ${num(d.remaining)} are left.`
          : `Today's limit of ${num(d.limit)} is used up (${num(d.used)} used).`;
      return {
        where: 'submit',
        sentence: `${fits} Try again ${whenFrom(err.retryAfter, d.resetsAt)}.`,
      };
    }
    case 'QUOTA_EXCEEDED':
      return {
        where: 'submit',
        sentence: `This month's quota of ${num(d.limit)} emails is used up (${num(d.used)} used, ${num(d.percentage)} %). Try again ${whenFrom(err.retryAfter, d.resetsAt)}, or move to a larger plan.`,
      };
    case 'GRACE_PERIOD_EXCEEDED':
      return {
        where: 'submit',
        sentence: `This month's quota of ${num(d.limit)} emails and its grace of up to ${num(d.hardLimit)} are used up. Try again ${whenFrom(err.retryAfter, d.resetsAt)}, or move to a larger plan.`,
      };
    case 'IDEMPOTENCY_CONFLICT':
      return {
        where: 'submit',
        sentence: 'This upload clashes with an earlier one. Reload the page and try again.',
      };
    case 'UNSUPPORTED_MEDIA_TYPE':
      return {
        where: 'file',
        sentence: 'The file could not be sent as an upload. Reload the page and try again.',
      };
    case 'NOT_FOUND':
      return { where: 'submit', sentence: 'This job no longer exists: it may have been deleted.' };
    case 'VALIDATION_TIMEOUT':
      return {
        where: 'email',
        sentence:
          'The mail server took longer than 30 seconds to answer. Try again with quick mode on.',
      };
    case 'SERVICE_UNAVAILABLE':
      return {
        where: 'submit',
        sentence: `mailsift is briefly unavailable. Try again ${whenFrom(err.retryAfter ?? 5)}.`,
      };
    case 'VALIDATION_ERROR': {
      const field = firstField(d);
      if (!field) return { where: 'submit', sentence: `The request was refused: ${err.message}` };
      const [name, text] = field;
      const where: Where =
        name === 'webhook_url' || name === 'name' || name === 'email_column' || name === 'email'
          ? name
          : name === 'csv_file' || name === 'body' || name === 'upload'
            ? 'file'
            : 'submit';
      const label: Record<string, string> = {
        webhook_url: 'Webhook URL',
        name: 'Name',
        email_column: 'Email column',
        email: 'Email address',
      };
      return { where, sentence: `${label[name] ?? 'The request'}: ${text}` };
    }
    default:
      return {
        where: 'submit',
        sentence:
          err.status >= 500
            ? `Something went wrong on mailsift's side (${err.message}). Try again in a moment.`
            : err.message,
      };
  }
}
