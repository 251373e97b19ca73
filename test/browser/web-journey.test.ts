import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, seriousViolations, watchProblems } from './browser-support.ts';
import { api, csvForm, jobWhen, useHarness } from '../support/harness.ts';

// The page against the real service: the in-process app (which serves the page), real workers,
// Postgres and Redis, in Debian's Chromium. One browser for the file, a context per journey.
let browser: Browser;
let key: string;
const contexts: BrowserContext[] = [];

const KINDS = [
  'deliverable',
  'deliverable',
  'undeliverable',
  'risky',
  'catchall',
  'unknown',
  'timeout',
  'ann',
];

/** 2,000 rows, a BOM, and two address columns: "Email" (found by its name) and "Verified email". */
function leadsCsv(rows = 2000): Buffer {
  const lines = ['Full name,Email,Verified email,Country'];
  for (let i = 0; i < rows; i++) {
    const kind = KINDS[i % KINDS.length];
    const verified =
      i === 7
        ? 'not-an-address'
        : i === 9
          ? `${KINDS[1]}+1@example.com`
          : `${kind}+${i}@example.com`;
    lines.push(`"Person ${i}, Jr",unknown+old${i}@example.org,${verified},FR`);
  }
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n') + '\r\n')]);
}

async function open(
  opts: { width?: number; height?: number; dark?: boolean } = {},
): Promise<{ page: Page; problems: string[]; urls: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    colorScheme: opts.dark ? 'dark' : 'light',
    acceptDownloads: true,
  });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto(`${h.url}/`);
  return { page, problems, urls };
}

async function signIn(page: Page, k = key) {
  await page.getByLabel('API key').fill(k);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor();
}

const numbersIn = async (page: Page, chart: string) =>
  Object.fromEntries(
    await page.$$eval(`[data-testid=${chart}] g[data-key]`, (gs) =>
      gs.map((g) => [
        g.getAttribute('data-key'),
        Number((g.querySelector('.value')?.textContent ?? '').split(' ')[0]!.replaceAll(',', '')),
      ]),
    ),
  );

const h = useHarness({ TEST_DAILY_LIMIT: '1000000' }, { workers: true });
beforeAll(async () => {
  key = (await h.account('business', 1000)).test;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const c of contexts) await c.close().catch(() => undefined);
});

describe('the web page, in Chromium, against the running service', () => {
  it('when a marketer signs in with a test key and cleans a 2,000-row file, then every step shows the API’s own figures and the job can be deleted', async () => {
    const { page, problems, urls } = await open();
    await signIn(page);
    await expect(page.getByTestId('key-mode').textContent()).resolves.toBe('test mode');
    expect(await page.locator('.account').textContent()).toMatch(/business plan/);
    expect(await page.evaluate(() => sessionStorage.getItem('mailsift.apiKey'))).toBe(key);

    // Upload: the preview highlights "Email" (found by name, despite the BOM and not first)...
    await page.getByLabel('CSV file').setInputFiles({
      name: 'leads.csv',
      mimeType: 'text/csv',
      buffer: leadsCsv(),
    });
    await expect(page.locator('th.email-col').textContent()).resolves.toMatch(/^Email/);
    expect(await page.locator('[data-testid=preview] tbody tr').count()).toBe(5);
    // ...and the marketer picks the column that holds the addresses to check.
    await page
      .getByLabel('Email column', { exact: true })
      .selectOption({ label: 'Verified email' });
    await expect(page.locator('th.email-col').textContent()).resolves.toMatch(/^Verified email/);
    await page.getByLabel('Name', { exact: true }).fill('March leads');
    expect(await page.getByLabel('SMTP probe').isDisabled()).toBe(false);
    await screenshot(page, 'journey-1-preview-desktop-light');

    // Upload progress in bytes, seen as it changes.
    await page.evaluate(() => {
      const seen: string[] = ((globalThis as any).progressTexts = []);
      const box = document.querySelector('[data-testid=upload-progress]')!;
      new MutationObserver(() => seen.push(box.textContent ?? '')).observe(box, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await page.getByRole('button', { name: 'Clean this list' }).click();
    await page.waitForURL(/#\/jobs\/job_\w+$/);
    const jobId = /job_\w+$/.exec(page.url())![0];
    const progressTexts: string[] = await page.evaluate(() => (globalThis as any).progressTexts);
    expect(
      progressTexts.some((t) => /Uploaded [\d.]+ (KB|bytes|MB) of [\d.]+ KB \(\d+ %\)/.test(t)),
    ).toBe(true);

    // Progress reaches 100 %.
    await page.getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 90_000 });
    await expect(page.getByTestId('progress-text').textContent()).resolves.toMatch(
      /^2,000 of 2,000 addresses checked \(100 %\)/,
    );
    expect(await page.getByTestId('progress-live').textContent()).toMatch(/Done: all 2,000/);

    // The chart's numbers are the job's counts; the reasons add up to every row.
    const call = api(h.url, key);
    const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
    expect(job.name).toBe('March leads');
    expect(job.counts.deliverable).toBeGreaterThan(0);
    expect(job.counts.unknown).toBeGreaterThan(0); // the "Email" column would make them all unknown
    expect(job.counts.unknown).toBeLessThan(2000);
    await page.getByTestId('reason-chart').waitFor();
    expect(await numbersIn(page, 'status-chart')).toEqual(job.counts);
    const reasons = await numbersIn(page, 'reason-chart');
    expect(Object.values(reasons).reduce((a: number, b) => a + (b as number), 0)).toBe(2000);
    expect(reasons['risky:catch_all']).toBe(250);
    expect(reasons['undeliverable:invalid_syntax']).toBe(1);
    await screenshot(page, 'journey-1-job-desktop-light');

    // Deliverable only: the downloaded file is, row by row, the API's CSV.
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Deliverable only', exact: true }).click(),
    ]);
    const downloaded = readFileSync(await file.path(), 'utf8').split('\r\n');
    const fromApi = (
      await call('GET', `/v1/jobs/${jobId}/results.csv?status=deliverable`)
    ).text.split('\r\n');
    expect(downloaded.length).toBeGreaterThan(500);
    expect(downloaded).toEqual(fromApi);
    expect(downloaded.length - 2).toBe(job.counts.deliverable); // header and final line break

    // The table's filter shows only the chosen status, as the API lists it.
    await page.getByLabel('Show', { exact: true }).selectOption('risky');
    const wanted = (
      await call('GET', `/v1/jobs/${jobId}/results?status=risky&limit=50`)
    ).json.data.map((r: any) => r.email);
    await page.waitForFunction(
      (first) =>
        document
          .querySelector('[data-testid=results] tbody td.email')
          ?.textContent?.startsWith(first),
      wanted[0],
    );
    const shown = await page.$$eval('[data-testid=results] tbody tr', (rows) =>
      rows.map((r) => [
        r.querySelector('td.email')?.textContent,
        r.querySelector('[data-testid=result-status]')?.textContent,
      ]),
    );
    expect(shown.map((r) => r[0])).toEqual(wanted);
    expect(new Set(shown.map((r) => r[1]))).toEqual(new Set(['Risky']));
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(
      (first) =>
        document.querySelector('[data-testid=results] tbody td.email')?.textContent !== first,
      wanted[0],
    );

    // Delete, confirmed: the job leaves the list and the API.
    await page.getByRole('button', { name: 'Delete this job' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/#\/jobs$/);
    await page.getByText('Job March leads deleted.').waitFor();
    expect(await page.locator(`[data-job=${jobId}]`).count()).toBe(0);
    expect((await call('GET', `/v1/jobs/${jobId}`)).status).toBe(404);
    await screenshot(page, 'journey-1-jobs-after-delete-desktop-light');

    // The key never travelled in a URL, and nothing came from another origin.
    expect(urls.filter((u) => u.includes(key))).toEqual([]);
    expect(urls.filter((u) => !u.startsWith(h.url) && !u.startsWith('blob:'))).toEqual([]);
    expect(problems).toEqual([]);
  }, 150_000);

  it('when only the keyboard is used, then a file can be chosen and uploaded and its job opens', async () => {
    const { page, problems } = await open();
    // The page puts the focus in the key field itself.
    await page.waitForFunction(() => document.activeElement?.id === 'api-key');
    await page.keyboard.type(key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor();
    const focusOn = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await focusOn('csv-file');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.keyboard.press('Space'),
    ]);
    await chooser.setFiles({
      name: 'keyboard.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('email\ndeliverable@example.com\nrisky@example.com\n'),
    });
    await page.locator('th.email-col').waitFor();
    await focusOn('start');
    await page.keyboard.press('Enter');
    await page.getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('keyboard');
    await screenshot(page, 'journey-2-keyboard-upload');
    expect(problems).toEqual([]);
  });

  it('when axe-core checks every view in light and dark, then it finds no serious accessibility violation, and nothing overflows 375 px', async () => {
    const call = api(h.url, key);
    const created = await call(
      'POST',
      '/v1/jobs',
      csvForm(
        'name,email\nAnn,deliverable@example.com\nBob,undeliverable@example.com\nEve,risky@example.com\nJo,catchall@example.com\n',
        { name: 'Small list', webhook_url: 'https://hooks.example.com/x' },
      ),
    );
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id);
    const found: Record<string, string[]> = {};
    for (const dark of [false, true]) {
      for (const width of [375, 1280]) {
        const tag = `${width}-${dark ? 'dark' : 'light'}`;
        // axe on the desktop layout of each scheme (contrast differs by scheme, not by width).
        const audit = async (view: string) => {
          if (width === 1280) found[`${tag} ${view}`] = await seriousViolations(page);
        };
        const { page, problems } = await open({ width, height: 800, dark });
        await audit('sign-in');
        await screenshot(page, `look-${tag}-1-sign-in`);
        await signIn(page);
        await page.getByLabel('CSV file').setInputFiles({
          name: 'preview.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(
            'Name;Company;E-mail\nAnn;Acme;ann@example.com\nBob;Initech;bob@example.com\n',
          ),
        });
        await page.locator('th.email-col').waitFor();
        await audit('upload');
        await screenshot(page, `look-${tag}-2-upload-preview`);
        await page.goto(`${h.url}/#/jobs/${created.json.id}`);
        await page.getByTestId('reason-chart').waitFor();
        await page.locator('[data-testid=webhooks]').waitFor();
        await page.locator('[data-testid=results] tbody tr').first().waitFor();
        await audit('job');
        await screenshot(page, `look-${tag}-3-job`);
        await page.goto(`${h.url}/#/jobs`);
        await page.locator('[data-testid=jobs]').waitFor();
        await audit('jobs');
        await screenshot(page, `look-${tag}-4-jobs`);
        await page.goto(`${h.url}/#/check`);
        await page.getByLabel('Email address').fill('catchall@example.com');
        await page.getByLabel('Email address').press('Enter');
        await page.getByTestId('verdict').waitFor();
        expect(await page.getByTestId('verdict').textContent()).toMatch(
          /Risky.*catch-all.*250 2\.1\.5/s,
        );
        await audit('check');
        await screenshot(page, `look-${tag}-5-check`);
        if (width === 375) {
          expect(
            await page.evaluate(() => document.documentElement.scrollWidth),
          ).toBeLessThanOrEqual(375);
        }
        expect(problems).toEqual([]);
        await page.context().close();
      }
    }
    expect(Object.keys(found)).toHaveLength(10);
    expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
  }, 180_000);
});
