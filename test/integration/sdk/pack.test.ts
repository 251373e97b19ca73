import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';

// `npm pack` in sdk/ gives a tarball that installs into an empty project (offline: it has no
// dependencies), imports as ESM, type-checks without @types/node, and talks to the real service.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
let dir: string;

const h = useHarness();
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-sdk-pack-'));
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('the packed SDK installs into an empty project, type-checks for browsers, and calls the real service', async () => {
  const npm = { env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } };
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    ...npm,
    cwd: path.join(root, 'sdk'),
  });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path).sort();
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('dist/generated/openapi.d.ts');
  expect(
    files.filter((f) => f.startsWith('src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
  ).toEqual([]);

  const project = path.join(dir, 'app');
  await run('mkdir', ['-p', project]);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--offline', path.join(dir, info.filename)], {
    ...npm,
    cwd: project,
  });
  const installed = JSON.parse(
    readFileSync(path.join(project, 'node_modules/@mailsift/sdk/package.json'), 'utf8'),
  );
  expect(installed.name).toBe('@mailsift/sdk');
  expect(installed.dependencies ?? {}).toEqual({});
  expect(readdirSync(path.join(project, 'node_modules'))).toEqual([
    '.package-lock.json',
    '@mailsift',
  ]);

  const acct = await h.account('business', 10);
  writeFileSync(
    path.join(project, 'index.mjs'),
    `import { Mailsift, NotFoundError } from '@mailsift/sdk';
const client = new Mailsift({ apiKey: process.env.KEY, baseUrl: process.env.URL });
const job = await client.jobs.create({ emails: ['deliverable@example.com', 'risky@example.com'] });
const missing = await client.jobs.get('job_${'x'.repeat(24)}').catch((e) => e instanceof NotFoundError);
const account = await client.account();
console.log(JSON.stringify({ total: job.total, status: job.status, missing, plan: account.plan }));
`,
  );
  const out = await run('node', ['index.mjs'], {
    cwd: project,
    env: { ...process.env, KEY: acct.test, URL: h.url },
  });
  expect(JSON.parse(out.stdout)).toEqual({
    total: 2,
    status: 'queued',
    missing: true,
    plan: 'business',
  });

  // A browser project: DOM types only, no @types/node. The declarations must stand alone.
  writeFileSync(
    path.join(project, 'browser.ts'),
    `import { Mailsift, type Job, type Result } from '@mailsift/sdk';
const client = new Mailsift({ apiKey: 'ms_test_x', baseUrl: 'https://api.example.com' });
export async function first(file: Blob): Promise<[Job, Result[]]> {
  const job: Job = await client.jobs.create({ file, name: 'from the browser' });
  const results: Result[] = [];
  for await (const r of client.jobs.results(job.id, { status: 'deliverable' })) results.push(r);
  const status: 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' = job.status;
  return [{ ...job, status }, results];
}
`,
  );
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom', 'dom.iterable'],
        types: [],
      },
      files: ['browser.ts'],
    }),
  );
  const check = await run(process.execPath, [tsc, '-p', '.'], { cwd: project }).catch(
    (e: { stdout: string }) => e,
  );
  expect(check.stdout).toBe('');
}, 240_000);
