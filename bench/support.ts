/** What the bench scripts share: the Postgres server's admin connection and waiting for an API. */
import pg from 'pg';

/** The Postgres server the benches create their own databases on. */
export const BENCH_BASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A database of the bench's own on that server. */
export const benchDatabaseUrl = (name: string) =>
  Object.assign(new URL(BENCH_BASE_URL), { pathname: `/${name}` }).toString();

/** One statement on the server's own database (CREATE / DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: BENCH_BASE_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Resolves when the API on this port answers /healthz; throws after about a minute. */
export async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (i > 600) throw new Error('API did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
