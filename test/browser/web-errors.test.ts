import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, useHarness } from '../support/harness.ts';
import { launchBrowser, screenshot, watchProblems } from './browser-support.ts';

// Error journeys: each refusal of API.md shows as a sentence next to what caused it, never as
// JSON. A small upload limit and test allowance make the 413 and the 429 cheap to reach.
let browser: Browser;
const contexts: BrowserContext[] = [];

const h = useHarness({ MAX_UPLOAD_BYTES: '4096', TEST_DAILY_LIMIT: '5' });
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const c of contexts) await c.close().catch(() => undefined);
});

async function signedIn(key: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${h.url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor();
  return { page, problems };
}

async function upload(page: Page, csv: string) {
  await page.getByLabel('CSV file').setInputFiles({
    name: 'list.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByTestId('preview').waitFor();
  await page.getByRole('button', { name: 'Clean this list' }).click();
}

/** The sentence shown in the element with `id`, once there is one; it must not be JSON. */
async function sentence(page: Page, id: string): Promise<string> {
  const el = page.locator(`#${id}`);
  await el.filter({ hasText: /\S/ }).waitFor();
  const text = (await el.textContent())!;
  expect(text).not.toMatch(/[{}]|"code"|[A-Z]+_[A-Z]+/);
  return text;
}

describe('the web page shows the errors of API.md as sentences', () => {
  it('when the key is wrong, then the sentence sits under the key field, which is marked invalid', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${h.url}/`);
    await page.getByLabel('API key').fill(`ms_test_${'x'.repeat(32)}`);
    await page.getByLabel('API key').press('Enter');
    expect(await sentence(page, 'api-key-error')).toMatch(/^This API key is not valid/);
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('API key').getAttribute('aria-describedby')).toContain(
      'api-key-error',
    );
    expect(await page.evaluate(() => sessionStorage.getItem('mailsift.apiKey'))).toBeNull();
    await screenshot(page, 'errors-1-wrong-key');
  });

  it('when the file has no email column, then the page says so next to the file', async () => {
    const { test } = await h.account('business', 100);
    const { page, problems } = await signedIn(test);
    await upload(page, 'name,city\nAnn,Paris\nBob,Rome\n');
    expect(await sentence(page, 'csv-file-error')).toMatch(
      /^No column of email addresses was found in this file.*Choose the column/,
    );
    expect(await page.getByLabel('CSV file').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'errors-2-no-email-column');
    expect(problems).toEqual([]);
  });

  it('when the account has no credits left (402), then the sentence gives what is needed and the balance', async () => {
    const { live } = await h.account('business', 1);
    const { page, problems } = await signedIn(live);
    await upload(page, 'email\nann@example.com\nbob@example.com\neve@example.com\n');
    expect(await sentence(page, 'start-error')).toBe(
      'Not enough credits: this list needs 3 credits and the account has 1. Add credits or upload a shorter list.',
    );
    await screenshot(page, 'errors-3-no-credits');
    expect(problems).toEqual([]);
  });

  it('when the file is over the upload limit (413), then the sentence gives the limit', async () => {
    const { test } = await h.account('business', 100);
    const { page, problems } = await signedIn(test);
    const rows = Array.from({ length: 400 }, (_, i) => `deliverable+${i}@example.com`).join('\n');
    await upload(page, `email\n${rows}\n`);
    expect(await sentence(page, 'csv-file-error')).toBe(
      'This file is too large: the limit is 4.0 KB. Split it into smaller files.',
    );
    expect(problems).toEqual([]);
  });

  it('when the day’s test allowance has less left than the list needs (429), then the sentence says what is left and when to try again', async () => {
    const { test } = await h.account('business', 100);
    const used = await api(h.url, test)('POST', '/v1/validate/batch', {
      emails: [
        'deliverable+a@example.com',
        'deliverable+b@example.com',
        'deliverable+c@example.com',
      ],
    });
    expect(used.status).toBe(200);
    const { page, problems } = await signedIn(test);
    const rows = Array.from({ length: 3 }, (_, i) => `deliverable+${i}@example.com`).join('\n');
    await upload(page, `email\n${rows}\n`);
    expect(await sentence(page, 'start-error')).toMatch(
      /^This list needs 3 of today's 5 test-key emails; 2 are left\. Try again in \d+ (hours|minutes|seconds) \(at 00:00 UTC\)\.$/,
    );
    await screenshot(page, 'errors-4-daily-limit');
    expect(problems).toEqual([]);
  });

  it('when the list is larger than the whole test allowance (413), then the sentence says so, not when to retry', async () => {
    const { test } = await h.account('business', 100);
    const { page, problems } = await signedIn(test);
    const rows = Array.from({ length: 8 }, (_, i) => `deliverable+${i}@example.com`).join('\n');
    await upload(page, `email\n${rows}\n`);
    expect(await sentence(page, 'start-error')).toBe(
      "This list has 8 addresses, more than the test key's daily allowance of 5. Upload at most 5 with the test key, or use the live key.",
    );
    expect(problems).toEqual([]);
  });
});
