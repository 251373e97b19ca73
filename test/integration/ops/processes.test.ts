import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = (script: string, env: Record<string, string>, args: string[] = []) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('processes refuse a bad configuration', () => {
  for (const script of ['src/server.ts', 'workers/main.ts', 'src/main.ts']) {
    it(`when ${script} starts with PORT=abc and a bad SMTP_TIMEOUT_MS, then it stops with a message naming both`, () => {
      const out = run(script, { PORT: 'abc', SMTP_TIMEOUT_MS: 'soon' });
      expect(out.status).toBe(78);
      expect(out.stderr).toContain('PORT');
      expect(out.stderr).toContain('SMTP_TIMEOUT_MS');
    });
  }
});

describe('the operator CLI', () => {
  it('when an account, a key, credits and a disable are asked for, then each is done and printed', () => {
    const created = run('src/cli.ts', {}, [
      'create-account',
      '--name',
      'CLI Co',
      '--plan',
      'growth',
      '--credits',
      '25',
    ]);
    expect(created.status, created.stderr).toBe(0);
    const account = JSON.parse(created.stdout);
    expect(account.keys.live).toMatch(/^ms_live_[0-9A-Za-z]{32,}$/);
    expect(account.keys.test).toMatch(/^ms_test_[0-9A-Za-z]{32,}$/);

    const key = JSON.parse(
      run('src/cli.ts', {}, [
        'create-key',
        account.id,
        '--mode',
        'test',
        '--scopes',
        'validate:read',
      ]).stdout,
    );
    expect(key.key).toMatch(/^ms_test_/);
    const topped = JSON.parse(run('src/cli.ts', {}, ['add-credits', account.id, '75']).stdout);
    expect(topped.balance).toBe(100);
    const disabled = JSON.parse(run('src/cli.ts', {}, ['disable-key', key.id]).stdout);
    expect(disabled.disabled).toBe(true);

    const missing = run('src/cli.ts', {}, ['add-credits', 'acct_nope', '5']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });
});
