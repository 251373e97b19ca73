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

/**
 * Where the bytes of these tables go: each one's heap (with its TOAST) and each of its indexes,
 * in bytes per `per` (rows or addresses), and the total.
 */
export async function relationBytes(
  pool: Pick<pg.Pool, 'query'>,
  tables: string[],
  per: number,
): Promise<{ lines: string[]; totalBytes: number }> {
  const { rows } = await pool.query<{ table: string; part: string; bytes: string }>(
    `SELECT c.relname AS table, 'heap+toast' AS part,
            pg_table_size(c.oid)::bigint AS bytes
       FROM pg_class c WHERE c.relname = ANY($1::text[]) AND c.relkind = 'r'
     UNION ALL
     SELECT t.relname, i.relname, pg_relation_size(i.oid)::bigint
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname = ANY($1::text[])
      ORDER BY 1, 2`,
    [tables],
  );
  let totalBytes = 0;
  const lines = rows.map((r) => {
    totalBytes += Number(r.bytes);
    return `  ${r.table.padEnd(12)} ${r.part.padEnd(40)} ${(Number(r.bytes) / 1048576).toFixed(1).padStart(8)} MB ${Math.round(
      Number(r.bytes) / per,
    )
      .toString()
      .padStart(5)} B/address`;
  });
  return { lines, totalBytes };
}
