/**
 * npm run bench:smtp — SMTP mode, the service end to end (issue 13's fifth row): a job of
 * BENCH_SMTP_ADDRESSES addresses (5,000) over BENCH_SMTP_HOSTS simulated MX hosts (100, one
 * domain each, on 127.0.0.2…), each greeting after 100 ms and answering every command after
 * 50 ms, from POST /v1/jobs to `completed`, with one API and one worker process on default
 * settings. Printed next to the physical bound computed from the same fleet:
 *
 *   one session per domain = greeting + (EHLO + MAIL FROM + one RCPT per address + the catch-all
 *   RCPT + QUIT) replies; bound = max(sum of sessions / sessions in flight, longest session).
 *
 * The 50 ms is the network's round trip (a reply leaves 50 ms after its command arrived), so the
 * servers (which offer PIPELINING) answer pipelined commands together. Beside that bound, the
 * bound of the pipelined dialogue (RFC 2920, SMTP_PIPELINING, the default): greeting, EHLO, then
 * one round trip per batch of RCPTs (MAIL FROM with the first, the catch-all RCPT in it; a batch
 * is as many RCPTs as could be refused within SMTP_MAX_REJECTIONS_PER_SESSION, 5), QUIT.
 *
 * BENCH_CODE_DIRS (comma list of checkouts, default this one) runs the same job with each
 * checkout's processes in turn, e.g. the code before a change beside the code after it, so
 * both figures come from the same run. Own database, dropped at the end; loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../src/data/db.ts';
import { migrate } from '../src/data/migrate.ts';
import { createAccount } from '../src/domain/accounts/manage-accounts.ts';
import { mxZones, startDnsServer } from '../test/support/dns-server.ts';
import { loopbackHosts, startSmtpServers } from '../test/support/smtp-server.ts';

const N = Number(process.env.BENCH_SMTP_ADDRESSES ?? 5000);
const HOSTS = Number(process.env.BENCH_SMTP_HOSTS ?? 100);
const GREETING_MS = 100;
const REPLY_MS = 50;
/** The defaults of src/config/env.ts: SMTP_SESSIONS_IN_FLIGHT (one worker process). */
const SESSIONS = Number(process.env.SMTP_SESSIONS_IN_FLIGHT ?? 16);
const here = fileURLToPath(new URL('..', import.meta.url));
const CODE_DIRS = (process.env.BENCH_CODE_DIRS ?? here).split(',');
const BASE = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DB = Object.assign(new URL(BASE), { pathname: '/mailsift_bench_smtp' }).toString();

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function start(cwd: string, script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The physical bound of the fleet below, in seconds. */
function physicalBound(perDomain: number[]): number {
  const session = (n: number) => GREETING_MS + REPLY_MS * (2 + n + 1 + 1);
  const sessions = perDomain.map(session);
  const sum = sessions.reduce((a, b) => a + b, 0);
  return Math.max(sum / SESSIONS, Math.max(...sessions)) / 1000;
}

/** The same bound for the pipelined dialogue: a round trip per batch, not per command. */
function pipelinedBound(perDomain: number[], maxRejections = 5): number {
  const session = (n: number) => {
    // The first batch: the catch-all RCPT (refused here) and maxRejections - 1 addresses; then
    // maxRejections - 1 addresses a batch (the catch-all's refusal counts in the session).
    const batches = 1 + Math.ceil(Math.max(0, n - (maxRejections - 1)) / (maxRejections - 1));
    return GREETING_MS + REPLY_MS * (1 + batches + 1);
  };
  const sessions = perDomain.map(session);
  const sum = sessions.reduce((a, b) => a + b, 0);
  return Math.max(sum / SESSIONS, Math.max(...sessions)) / 1000;
}

type Call = (path: string, init?: RequestInit) => Promise<Response>;

/** POST /v1/jobs, then polls until the job ends; returns the ended job. */
async function runJob(call: Call, emails: string[]) {
  const res = await call('/v1/jobs', {
    method: 'POST',
    body: JSON.stringify({ emails, smtp: true }),
  });
  const created = (await res.json()) as { id?: string };
  if (res.status !== 201) throw new Error(`POST /v1/jobs ${res.status} ${JSON.stringify(created)}`);
  let job: { status: string; counts?: Record<string, number> } = { status: 'queued' };
  await until(
    'job ended',
    async () => {
      job = (await (await call(`/v1/jobs/${created.id}`)).json()) as typeof job;
      return job.status !== 'queued' && job.status !== 'processing';
    },
    600_000,
  );
  return job;
}

async function main() {
  // One more host for a warm-up job: the worker is up and compiled before the clock starts.
  const hosts = loopbackHosts(HOSTS + 1);
  const domains = hosts.map((_, i) =>
    i === HOSTS ? 'warmup.bench-smtp.test' : `mx${i}.bench-smtp.test`,
  );
  const smtp = await startSmtpServers(
    hosts.map((host) => ({
      host,
      behaviour: {
        // Every mailbox of the list exists; the made-up catch-all address does not.
        rcpt: (address: string) =>
          address.startsWith('u')
            ? { code: 250, message: '2.1.5 Ok' }
            : { code: 550, message: '5.1.1 User unknown' },
        greetingMs: GREETING_MS,
        latencyMs: REPLY_MS,
        latencyIsRoundTrip: true,
      },
    })),
  );
  const dns = await startDnsServer(
    mxZones(Object.fromEntries(domains.map((d, i) => [d, hosts[i] as string]))),
  );
  const emails = Array.from({ length: N }, (_, i) => `u${i}@${domains[i % HOSTS]}`);
  const perDomain = domains
    .slice(0, HOSTS)
    .map((_, d) => emails.filter((_, i) => i % HOSTS === d).length);
  const bound = physicalBound(perDomain);
  const pipelined = pipelinedBound(perDomain);

  await admin('DROP DATABASE IF EXISTS mailsift_bench_smtp WITH (FORCE)');
  await migrate(DB);
  const db = createDatabase(DB, 2);
  try {
    console.log(
      `SMTP job of ${N.toLocaleString('en')} addresses over ${HOSTS} MX hosts (greeting ${GREETING_MS} ms, ${REPLY_MS} ms a reply), 1 API + 1 worker process, defaults`,
    );
    console.log(
      `reference, same run: physical bound ${bound.toFixed(2)} s (one session per domain, ${SESSIONS} sessions in flight); ` +
        `pipelined dialogue ${pipelined.toFixed(2)} s`,
    );
    for (const [round, dir] of CODE_DIRS.entries()) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const env = {
        DATABASE_URL: DB,
        PORT: String(port),
        QUEUE_PREFIX: `benchsmtp${port}`,
        DNS_SERVERS: dns.address,
        SMTP_PORT: String(smtp.port),
        SMTP_ALLOW_PRIVATE: 'true',
        SMTP_HELO_NAME: 'bench.mailsift.test',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      };
      const account = await createAccount(
        { db },
        {
          name: `bench smtp ${round}`,
          plan: 'business',
          credits: N + 100,
        },
      );
      const api = start(dir, 'src/server.ts', env);
      const worker = start(dir, 'workers/main.ts', env);
      try {
        const call: Call = (path, init) =>
          fetch(`http://127.0.0.1:${port}${path}`, {
            ...init,
            headers: {
              authorization: `Bearer ${account.keys.live}`,
              'content-type': 'application/json',
            },
          });
        await until('API up', () =>
          call('/healthz').then(
            (r) => r.ok,
            () => false,
          ),
        );
        await runJob(
          call,
          Array.from({ length: 20 }, (_, i) => `u${i}@warmup.bench-smtp.test`),
        );
        const sessionsBefore = smtp.servers.reduce((n, s) => n + s.sessions, 0);
        const t = performance.now();
        // The sessions open at each moment, sampled every 100 ms while the job runs.
        let samples = 0;
        let open = 0;
        const sampler = setInterval(() => {
          samples++;
          open += smtp.servers.reduce((n, s) => n + s.openSessions, 0);
        }, 100);
        const job = await runJob(call, emails);
        const s = (performance.now() - t) / 1000;
        clearInterval(sampler);
        const sessions = smtp.servers.reduce((n, x) => n + x.sessions, 0) - sessionsBefore;
        console.log(
          `${dir}: ${job.status} in ${s.toFixed(2)} s = ${(s / bound).toFixed(2)}× the bound ` +
            `(${(s / pipelined).toFixed(2)}× the pipelined one); ` +
            `${(open / Math.max(1, samples)).toFixed(1)} of ${SESSIONS} sessions open on average; ` +
            `${sessions} sessions for ${HOSTS} domains; counts ${JSON.stringify(job.counts)}`,
        );
      } finally {
        await Promise.all([stop(worker), stop(api)]);
      }
    }
  } finally {
    await db.close();
    await Promise.all([dns.close(), smtp.close()]);
    await admin('DROP DATABASE IF EXISTS mailsift_bench_smtp WITH (FORCE)');
  }
}

await main();
