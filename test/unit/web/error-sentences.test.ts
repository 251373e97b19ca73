import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../web/src/api-error.ts';
import { explain } from '../../../web/src/errors.ts';

const err = (
  status: number,
  code: string,
  details?: Record<string, unknown>,
  retry: number | null = null,
  message = 'm',
) => new ApiError(status, { code, message, details }, retry);

describe('the web page turns API errors into sentences next to their cause', () => {
  it('when credits run short (402), then the sentence names what is needed and the balance', () => {
    expect(
      explain(err(402, 'INSUFFICIENT_CREDITS', { required: 2000, balance: 15 }), 'upload'),
    ).toEqual({
      where: 'submit',
      sentence:
        'Not enough credits: this list needs 2,000 credits and the account has 15. Add credits or upload a shorter list.',
    });
  });

  it('when the file is too large (413), then the limit is given in bytes or rows, next to the file', () => {
    const bytes = explain(
      err(
        413,
        'PAYLOAD_TOO_LARGE',
        { maximum: 104857600 },
        null,
        'The upload is larger than 104857600 bytes.',
      ),
      'upload',
    );
    expect(bytes).toEqual({
      where: 'file',
      sentence: expect.stringContaining('the limit is 100.0 MB'),
    });
    const rows = explain(
      err(413, 'PAYLOAD_TOO_LARGE', { maximum: 1000 }, null, 'A job holds at most 1000 rows.'),
      'upload',
    );
    expect(rows.sentence).toContain('at most 1,000 addresses');
  });

  it('when the CSV is refused, then the line is named and a missing email column is explained', () => {
    expect(explain(err(400, 'INVALID_CSV', { line: 12 }, null, 'Unclosed quote.')).sentence).toBe(
      'This file could not be read as a CSV list (line 12): Unclosed quote.',
    );
    const none = explain(
      err(400, 'INVALID_CSV', {}, null, 'No email column found: name it in `email_column`.'),
    );
    expect(none).toEqual({
      where: 'file',
      sentence: expect.stringMatching(/^No column of email addresses was found/),
    });
  });

  it('when a limit is hit (429), then the sentence says when to retry', () => {
    const now = Date.now();
    const minute = explain(
      err(429, 'RATE_LIMIT_EXCEEDED', { limit: 60, window: '1m', retryAfter: 42 }, 42),
    );
    expect(minute.sentence).toMatch(
      /^Too many requests in a minute \(the limit is 60\)\. Try again in 4\d seconds \(at \d\d:\d\d UTC\)\.$/,
    );
    const resetsAt = new Date(now + 3 * 3600_000).toISOString();
    const daily = explain(
      err(429, 'DAILY_LIMIT_EXCEEDED', { limit: 100, used: 100, resetsAt }, 10800),
    );
    expect(daily.sentence).toMatch(
      /^Today's limit of 100 is used up \(100 used\)\. Try again in 3 hours \(at \d\d:\d\d UTC\)\.$/,
    );
  });

  it('when a key is wrong at sign-in, then the sentence sits next to the key field', () => {
    expect(explain(err(401, 'INVALID_API_KEY'), 'sign-in')).toEqual({
      where: 'key',
      sentence: expect.stringMatching(/^This API key is not valid/),
    });
  });

  it('when a field is invalid, then the sentence goes next to that field and no JSON shows', () => {
    const x = explain(
      err(400, 'VALIDATION_ERROR', { fields: { webhook_url: ['Must be an https URL.'] } }),
    );
    expect(x).toEqual({ where: 'webhook_url', sentence: 'Webhook URL: Must be an https URL.' });
    const list = explain(
      err(400, 'VALIDATION_ERROR', { fields: { emails: { '3': ['Must not be empty.'] } } }),
    );
    expect(list.sentence).toBe('The request: Must not be empty.');
    expect(JSON.stringify([x, list])).not.toMatch(/\{\\"/);
  });
});
