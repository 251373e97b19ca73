import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, useHarness } from '../../support/harness.ts';
import { operatorCli } from '../../support/operator-cli.ts';

// The operator's first hour (issue 12, point 7): help per command, readable errors, usage errors
// for what cannot run as typed, accounts and keys listed, key ids in every answer.

const h = useHarness();

const cli = (...args: string[]) => operatorCli(h.config.db.url, args);

/** What a person reads: no JSON object, no stack trace. */
function readable(text: string) {
  expect(text).not.toMatch(/^\s*[[{]/m);
  expect(text).not.toMatch(/\n\s+at /);
}

describe('the operator CLI', () => {
  it('when a command is asked for --help, then it says what it does and how to type it', async () => {
    const help = await cli('add-credits', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run cli -- add-credits ACCOUNT_ID AMOUNT');
    expect(help.stdout).toMatch(/Adds credits/);
    const all = await cli('--help');
    expect(all.code).toBe(0);
    for (const c of ['list-accounts', 'list-keys', 'set-plan', 'create-key'])
      expect(all.stdout).toContain(c);
  }, 240_000);

  it('when a command lacks its arguments, has an unknown option or a bad value, then a readable error and no NOT_FOUND', async () => {
    const bare = await cli('add-credits');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('add-credits needs ACCOUNT_ID and AMOUNT');
    expect(bare.stderr).not.toContain('NOT_FOUND');
    readable(bare.stderr);

    const option = await cli('list-accounts', '--bogus');
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/Unknown option '--bogus'/);

    const plan = await cli('create-account', '--name', 'Acme', '--plan', 'gold');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/^error: --plan: .*business/m);
    readable(plan.stderr);

    const amount = await cli('add-credits', 'acct_x', 'lots');
    expect(amount.code).toBe(1);
    expect(amount.stderr).toContain("AMOUNT: 'lots' is not a number.");
  }, 240_000);

  it('when an account is created, then its key ids come with the keys, and list-accounts and list-keys show them', async () => {
    const name = `cli ${Date.now()}`;
    const created = await cli('create-account', '--name', name, '--credits', '7');
    expect(created.code, created.stderr).toBe(0);
    const account = JSON.parse(created.stdout);
    expect(account.key_ids.live).toMatch(/^key_/);
    expect(account.key_ids.test).toMatch(/^key_/);

    const accounts = JSON.parse((await cli('list-accounts', '--limit', '100')).stdout);
    expect(accounts.data.find((a: { id: string }) => a.id === account.id)).toMatchObject({
      name,
      credit_balance: 7,
      plan: 'free',
    });

    const keys = JSON.parse((await cli('list-keys', account.id)).stdout);
    expect(keys.data.map((k: { id: string }) => k.id).sort()).toEqual(
      [account.key_ids.live, account.key_ids.test].sort(),
    );
    expect(keys.data.find((k: { id: string }) => k.id === account.key_ids.test)).toMatchObject({
      mode: 'test',
      prefix: account.keys.test.slice(0, 12),
      disabled: false,
    });
    // The plain key is never stored, so never listed.
    expect(JSON.stringify(keys)).not.toContain(account.keys.test);

    const disabled = await cli('disable-key', account.key_ids.live);
    expect(disabled.code, disabled.stderr).toBe(0);
    const after = JSON.parse((await cli('list-keys', account.id)).stdout);
    expect(after.data.find((k: { id: string }) => k.id === account.key_ids.live).disabled).toBe(
      true,
    );

    const missing = await cli('list-keys', 'acct_nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: Account not found. (NOT_FOUND)\n');
  }, 300_000);
});

describe('the admin routes', () => {
  const admin = () => api(h.url, ADMIN_TOKEN);

  it('when an account is created, then the answer has the key ids; the accounts list and its keys list show them', async () => {
    const created = await admin()('POST', '/admin/accounts', { name: 'route', plan: 'growth' });
    expect(created.status).toBe(201);
    const { id, key_ids: ids } = created.json;
    expect(ids).toEqual({
      live: expect.stringMatching(/^key_/),
      test: expect.stringMatching(/^key_/),
    });

    const first = await admin()('GET', '/admin/accounts?limit=1');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ object: 'list', has_more: true });
    expect(first.json.data).toHaveLength(1);
    const next = await admin()(
      'GET',
      `/admin/accounts?limit=1&starting_after=${first.json.data[0].id}`,
    );
    expect(next.json.data[0].id).not.toBe(first.json.data[0].id);

    const keys = await admin()('GET', `/admin/accounts/${id}/keys`);
    expect(keys.status).toBe(200);
    expect(keys.json.data.map((k: { id: string }) => k.id).sort()).toEqual(
      [ids.live, ids.test].sort(),
    );
  });

  it('when the listing is asked wrongly, then 400 naming the parameter, 404 for an unknown account, 401 without the token', async () => {
    const unknown = await admin()('GET', '/admin/accounts?limt=5');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details.fields).toHaveProperty('limt');
    const big = await admin()('GET', '/admin/accounts?limit=1000');
    expect(big.status).toBe(400);
    expect(big.json.error.details.fields).toHaveProperty('limit');
    expect((await admin()('GET', '/admin/accounts/acct_nope/keys')).status).toBe(404);
    expect((await api(h.url)('GET', '/admin/accounts')).status).toBe(401);
  });
});
