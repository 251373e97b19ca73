import pg from 'pg';
import { migrate } from '../../src/data/migrate.ts';
import { ensureWebBuilt } from './web-build.ts';

const url = () => process.env.MAILSIFT_TEST_DATABASE_URL!;

async function dropDatabase() {
  const name = new URL(url()).pathname.slice(1);
  const admin = new URL(url());
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

/** A fresh database per test run, migrated the way `npm start` migrates; dropped afterwards. */
export default async function setup() {
  await dropDatabase();
  await migrate(url());
  await ensureWebBuilt();
  return async () => {
    if (!process.env.TEST_DATABASE_URL) await dropDatabase();
  };
}
