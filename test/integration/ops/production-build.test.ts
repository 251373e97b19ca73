import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, jobWhen, useHarness } from '../../support/harness.ts';
import { spawnApi, spawnWorker, stopProcess } from '../../support/processes.ts';
import type { ChildProcess } from 'node:child_process';

// Production runs the compiled tree (`npm run build`: tsc to dist/, plus what the code reads at
// run time), with plain node: Node 20 cannot run a .ts file, so a process that starts and
// answers here runs no TypeScript and no tsx. The tree is built into a folder of this run.
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const out = path.join(root, 'test-output', `dist-${process.pid}`);
const children: ChildProcess[] = [];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  await run(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      out,
    ],
    { cwd: root },
  );
  await run(process.execPath, [path.join(root, 'scripts/build-dist.mjs'), out], { cwd: root });
}, 600_000);
const h = useHarness();
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  rmSync(out, { recursive: true, force: true });
});

describe('the production build', () => {
  it('when built, then the tree holds JavaScript only, importing no .ts file, with its run-time files', () => {
    const files = filesUnder(out);
    const code = files.filter((f) => f.endsWith('.js'));
    expect(code.length).toBeGreaterThan(50);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const tsImports = code.filter((f) =>
      /(from|import\()\s*['"][^'"]+\.ts['"]/.test(readFileSync(f, 'utf8')),
    );
    expect(tsImports).toEqual([]);
    for (const needed of [
      'src/server.js',
      'workers/main.js',
      'src/cli.js',
      'package.json',
      'prisma/migrations/migration_lock.toml',
      'web/dist/index.html',
    ]) {
      expect(files, needed).toContain(path.join(out, needed));
    }
  });

  it('when the compiled operator CLI migrates an up-to-date database, then it exits 0 without tsx', async () => {
    const env = { ...process.env, ...h.processEnv() };
    const started = process.hrtime.bigint();
    await run(process.execPath, [path.join(out, 'src/cli.js'), 'migrate'], { env });
    const cliMs = Number(process.hrtime.bigint() - started) / 1e6;
    const refStarted = process.hrtime.bigint();
    await run(process.execPath, ['-e', '0']);
    const nodeMs = Number(process.hrtime.bigint() - refStarted) / 1e6;
    // A figure for the reader, never an assertion on time: the same run's bare node start beside it.
    console.log(
      `compiled operator CLI, nothing to migrate: ${cliMs.toFixed(0)} ms (bare node start in the same run: ${nodeMs.toFixed(0)} ms)`,
    );
  });

  it('when the compiled API and worker run with NODE_ENV=production, then a job goes from upload to results', async () => {
    // Production refuses to start without a public probe identity (docker-compose asks for one).
    const env = {
      ...h.processEnv(),
      NODE_ENV: 'production',
      JOB_SWEEP: 'false',
      SMTP_HELO_NAME: 'verify.example.com',
      SMTP_MAIL_FROM: 'probe@verify.example.com',
    };
    const { url, child } = await spawnApi(env, 120_000, [path.join(out, 'src/server.js')]);
    children.push(child);
    children.push(spawnWorker(env, { nodeArgs: [path.join(out, 'workers/main.js')] }));

    const doc = await fetch(`${url}/openapi.json`);
    expect(doc.status).toBe(200);
    const version = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(((await doc.json()) as { info: { version: string } }).info.version).toBe(version);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');

    const account = await h.account();
    const call = api(url, account.test);
    const form = new FormData();
    form.append(
      'csv_file',
      new Blob(['email\ndeliverable@example.com\nundeliverable@example.com\n']),
      'list.csv',
    );
    const created = await call('POST', '/v1/jobs', form);
    expect(created.status).toBe(201);
    const job = await jobWhen(call, created.json.id, 'completed', 120_000);
    expect(job.counts).toMatchObject({ deliverable: 1, undeliverable: 1 });
  });
});
