import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * Run in a process of its own: an 'error' event nobody listens to ends a plain Node process, which
 * is what a worker is, while the test runner would only report it.
 */
const script = `
import pg from 'pg';
import { createDatabase } from './src/data/db.ts';
const url = process.env.MAILSIFT_TEST_DATABASE_URL;
const db = createDatabase(url, 2);
const client = await db.pool.connect();
await client.query('BEGIN');
const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
const ended = new Promise((resolve) => client.once('end', resolve));
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
await admin.end();
await ended;
const failed = await client.query('SELECT 1').then(() => false, () => true);
client.release(true);
const { rows: next } = await db.pool.query('SELECT 1 AS one');
console.log(JSON.stringify({ failed, next: next[0].one }));
await db.close();
`;

describe('a Postgres connection that goes away while it is checked out', () => {
  it('when the server ends the backend of a client in a transaction, then its next query fails, the process lives and the pool serves the next caller', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: process.cwd(), env: process.env, timeout: 60_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ failed: true, next: 1 });
  });
});
