import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Prisma = PrismaClient;
/** A Prisma client or an interactive transaction of one: repositories accept either. */
export type Db = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

export interface Database {
  prisma: PrismaClient;
  /** The pool under Prisma, for what Prisma cannot do (COPY streams, cursors). */
  pool: pg.Pool;
  /** One round trip to Postgres (readiness, the workers' outage probe); rejects when it fails. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createDatabase(url: string, max = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle client's error (the server went away) must not crash the process; the next query
  // reports it to its caller instead.
  pool.on('error', () => undefined);
  // A checked-out client (a transaction, a COPY) has no pool listener: when the server goes away
  // it emits 'error', which would end the process. Its pending query rejects anyway, so the
  // caller hears of it; the listener only keeps the process alive (Postgres restarts).
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}
