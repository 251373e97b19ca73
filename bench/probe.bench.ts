/**
 * npm run bench:probe — one address at a time through the SMTP probe, against simulated MX hosts
 * (100 ms to the greeting, 50 ms per reply, as issue 13's table), next to a peer library that
 * opens one session per address (deep-email-validator) measured in the same run on the same
 * servers:
 *
 *  - `POST /v1/validate` on an API process of its own (client-side time; the API process's CPU
 *    per request from /proc; its resident memory);
 *  - the engine alone (`verify()`), and the peer, each in a child process of its own: time and
 *    CPU per address, then BENCH_PROBE_CONCURRENT addresses at once for the memory each one in
 *    flight costs (peak RSS and heap above the idle process).
 *
 * Every address is on a domain not asked before (no DNS or catch-all cache helps either side).
 * Half the addresses exist (the engine then also tests the domain for catch-all, one RCPT more),
 * half are unknown (550). The 50 ms is the network's round trip: a reply leaves 50 ms after its
 * command arrived, so commands pipelined in one write (RFC 2920, offered by the servers) are
 * answered together. The API and the engine also run with SMTP_PIPELINING=false in the same run
 * (one command, one reply: the dialogue before pipelining). The peer connects to port 25 only: its child process redirects that
 * port to the simulated servers'. Own database, dropped at the end; only loopback.
 *
 * Options (env): BENCH_PROBE_N (sequential addresses per subject, 40), BENCH_PROBE_CONCURRENT (60).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createDatabase } from '../src/data/db.ts';
import { migrate } from '../src/data/migrate.ts';
import { createAccount } from '../src/domain/accounts/manage-accounts.ts';
import { createVerifier } from '../src/validation/engine.ts';
import { startDnsServer, type DnsZones } from '../test/support/dns-server.ts';
import { startSmtpServers } from '../test/support/smtp-server.ts';
import { admin, benchDatabaseUrl, waitHealthy } from './support.ts';

const N = Number(process.env.BENCH_PROBE_N ?? 40);
const CONCURRENT = Number(process.env.BENCH_PROBE_CONCURRENT ?? 60);
const HOSTS = 20;
const DB = benchDatabaseUrl('mailsift_bench_probe');
/** Loopback addresses of the simulated MX hosts; the MX names are these addresses. */
const hostIp = (i: number) => `127.13.4.${2 + (i % HOSTS)}`;
/** Domain number i: its own name, so nothing is cached; MX on one of the hosts. */
const domainOf = (subject: string, i: number) => `${subject}-${i}.probe.test`;
/** Even: the mailbox exists; odd: 550 user unknown. */
const addressOf = (subject: string, i: number) => `user.${i}@${domainOf(subject, i)}`;
const SUBJECTS = ['api', 'api-serial', 'engine', 'engine-serial', 'peer'] as const;
type ChildSubject = 'engine' | 'engine-serial' | 'peer';
const TOTAL = N + CONCURRENT + 2;

interface Sample {
  ms: number;
  exists: boolean;
}
interface ChildReport {
  samples: Sample[];
  cpuMsPerAddress: number;
  idleRssMb: number;
  peakRssMb: number;
  idleHeapMb: number;
  peakHeapMb: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? 0) : 0;
};

// ---- the child: one subject, in a process of its own -------------------------------------

async function child(subject: ChildSubject, dnsAddress: string, smtpPort: number) {
  let verifyOne: (email: string) => Promise<unknown>;
  let close = async () => undefined as unknown;
  if (subject === 'peer') {
    dns.setServers([dnsAddress]);
    // deep-email-validator connects to port 25 of the MX host; the servers listen elsewhere.
    const connect = net.createConnection as (...a: unknown[]) => net.Socket;
    (net as { createConnection: unknown }).createConnection = (...a: unknown[]) =>
      a[0] === 25 ? connect(smtpPort, ...a.slice(1)) : connect(...a);
    const { validate } = await import('deep-email-validator');
    verifyOne = (email) =>
      validate({ email, sender: 'verify@bench.mailsift.test', validateTypo: false });
  } else {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const verifier = createVerifier(
      {
        production: false,
        dns: { servers: [dnsAddress], timeoutMs: 2000 },
        smtp: {
          port: smtpPort,
          heloName: 'bench.mailsift.test',
          mailFrom: 'verify@bench.mailsift.test',
          timeoutMs: 10_000,
          allowPrivate: true,
          maxConnectionsPerHost: 3,
          pipelining: subject === 'engine',
        },
      },
      { redis, logger: pino({ level: 'silent' }), keyPrefix: `mailsift-bench:${randomUUID()}:` },
    );
    verifyOne = (email) => verifier.verify(email, { mode: 'live', smtp: true, quickMode: false });
    close = async () => {
      await verifier.close();
      redis.disconnect();
    };
  }
  // Warm-up: JIT, lazy modules, first connections (its domain is not used again).
  await verifyOne(addressOf(subject, TOTAL - 1));
  await verifyOne(addressOf(subject, TOTAL - 2));
  global.gc?.();
  const samples: Sample[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await verifyOne(addressOf(subject, i));
    samples.push({ ms: performance.now() - t, exists: i % 2 === 0 });
  }
  const cpu = process.cpuUsage(cpu0);
  // Let the last QUITs settle, then measure memory with CONCURRENT addresses in flight.
  await new Promise((r) => setTimeout(r, 500));
  global.gc?.();
  const idle = process.memoryUsage();
  let peakRss = idle.rss;
  let peakHeap = idle.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 5);
  await Promise.all(
    Array.from({ length: CONCURRENT }, (_, k) => verifyOne(addressOf(subject, N + k))),
  );
  clearInterval(sampler);
  await close();
  const mb = (b: number) => b / 1048576;
  const report: ChildReport = {
    samples,
    cpuMsPerAddress: (cpu.user + cpu.system) / 1000 / N,
    idleRssMb: mb(idle.rss),
    peakRssMb: mb(peakRss),
    idleHeapMb: mb(idle.heapUsed),
    peakHeapMb: mb(peakHeap),
  };
  process.stdout.write(JSON.stringify(report));
  process.exit(0);
}

// ---- the parent: servers, the API process, the report ------------------------------------

function start(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const prof = process.env.BENCH_PROBE_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROBE_PROF}`]
    : [];
  return spawn(process.execPath, ['--expose-gc', ...prof, '--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function runChild(subject: ChildSubject, dnsAddress: string, port: number) {
  const c = start('bench/probe.bench.ts', ['--child', subject, dnsAddress, String(port)], {});
  let out = '';
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(c, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${subject} child exited ${code}`);
  return JSON.parse(out) as ChildReport;
}

/** utime + stime of a process, in ms (from /proc; clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
function rssMbOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function main() {
  const smtp = await startSmtpServers(
    Array.from({ length: HOSTS }, (_, i) => ({
      host: hostIp(i),
      behaviour: {
        greetingMs: 100,
        latencyMs: 50,
        latencyIsRoundTrip: true,
        rcpt: (address: string) =>
          Number(/^user\.(\d+)@/.exec(address)?.[1] ?? 1) % 2 === 0
            ? { code: 250, message: '2.1.5 Ok' }
            : {
                code: 550,
                message: `5.1.1 <${address}>: Recipient address rejected: User unknown`,
              },
      },
    })),
  );
  const zones: DnsZones = {};
  for (let i = 0; i < HOSTS; i++) zones[hostIp(i)] = { a: [hostIp(i)] };
  for (const subject of SUBJECTS)
    for (let i = 0; i < TOTAL; i++)
      zones[domainOf(subject, i)] = { mx: [{ preference: 10, exchange: hostIp(i) }] };
  const dnsServer = await startDnsServer(zones);

  await admin('DROP DATABASE IF EXISTS mailsift_bench_probe WITH (FORCE)');
  await migrate(DB);
  const db = createDatabase(DB, 2);
  const started: ChildProcess[] = [];
  try {
    const account = await createAccount(
      { db },
      { name: 'bench', plan: 'business', credits: 2 * TOTAL + 10 },
    );
    /** `POST /v1/validate` on an API process of its own, one address at a time. */
    const measureApi = async (subject: 'api' | 'api-serial') => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const api = start('src/server.ts', [], {
        DATABASE_URL: DB,
        PORT: String(port),
        QUEUE_PREFIX: `benchprobe${port}`,
        DNS_SERVERS: dnsServer.address,
        SMTP_PORT: String(smtp.port),
        SMTP_ALLOW_PRIVATE: 'true',
        SMTP_PIPELINING: String(subject === 'api'),
        LOG_LEVEL: 'warn',
      });
      started.push(api);
      await waitHealthy(port);
      const post = async (email: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/validate`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${account.keys.live}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ email }),
        });
        const body = (await res.json()) as { result?: { status: string } };
        if (res.status !== 200) throw new Error(`POST /v1/validate ${res.status}`);
        return body.result?.status;
      };
      await post(addressOf(subject, TOTAL - 1));
      await post(addressOf(subject, TOTAL - 2));
      const pid = api.pid!;
      const samples: Sample[] = [];
      const cpu0 = cpuMsOf(pid);
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        await post(addressOf(subject, i));
        samples.push({ ms: performance.now() - t, exists: i % 2 === 0 });
      }
      const cpu = (cpuMsOf(pid) - cpu0) / N;
      const mem = rssMbOf(pid);
      api.kill('SIGTERM');
      if (api.exitCode === null) await once(api, 'exit');
      return { samples, cpu, mem };
    };
    const api = await measureApi('api');
    const apiSerial = await measureApi('api-serial');
    const engine = await runChild('engine', dnsServer.address, smtp.port);
    const engineSerial = await runChild('engine-serial', dnsServer.address, smtp.port);
    const peer = await runChild('peer', dnsServer.address, smtp.port);

    const row = (name: string, samples: Sample[], cpu: number, memory: string) => {
      const ex = median(samples.filter((s) => s.exists).map((s) => s.ms));
      const un = median(samples.filter((s) => !s.exists).map((s) => s.ms));
      return `${name.padEnd(34)} ${ex.toFixed(0).padStart(6)} ms ${un.toFixed(0).padStart(6)} ms ${cpu.toFixed(2).padStart(7)} ms   ${memory}`;
    };
    const inFlight = (r: ChildReport) =>
      `${(((r.peakRssMb - r.idleRssMb) * 1024) / CONCURRENT).toFixed(0)} KB RSS, ${(((r.peakHeapMb - r.idleHeapMb) * 1024) / CONCURRENT).toFixed(0)} KB heap per address in flight (idle ${r.idleRssMb.toFixed(0)} MB)`;
    console.log(
      `one address at a time, ${N} each (medians), simulated MX: 100 ms greeting, 50 ms a reply; ${CONCURRENT} at once for memory`,
    );
    console.log(
      `${'subject'.padEnd(34)} ${'exists'.padStart(9)} ${'unknown'.padStart(9)} ${'CPU/addr'.padStart(10)}   memory`,
    );
    const apiRow = (name: string, r: typeof api) =>
      row(
        name,
        r.samples,
        r.cpu,
        `API RSS ${r.mem.rss.toFixed(0)} MB (peak ${r.mem.hwm.toFixed(0)} MB)`,
      );
    console.log(apiRow('POST /v1/validate, pipelined', api));
    console.log(apiRow('POST /v1/validate, SMTP_PIPELINING=0', apiSerial));
    console.log(
      row('engine verify(), pipelined', engine.samples, engine.cpuMsPerAddress, inFlight(engine)),
    );
    console.log(
      row(
        'engine verify(), SMTP_PIPELINING=0',
        engineSerial.samples,
        engineSerial.cpuMsPerAddress,
        inFlight(engineSerial),
      ),
    );
    console.log(
      row('peer: deep-email-validator', peer.samples, peer.cpuMsPerAddress, inFlight(peer)),
    );
    const ratio = (a: Sample[], b: Sample[]) =>
      (median(a.map((s) => s.ms)) / median(b.map((s) => s.ms))).toFixed(2);
    console.log(
      `time vs the peer (all addresses): POST ${ratio(api.samples, peer.samples)}× (serial ${ratio(apiSerial.samples, peer.samples)}×), ` +
        `engine ${ratio(engine.samples, peer.samples)}× (serial ${ratio(engineSerial.samples, peer.samples)}×); ` +
        `CPU: engine ${(engine.cpuMsPerAddress / peer.cpuMsPerAddress).toFixed(2)}× the peer's`,
    );
    console.log(
      'the engine asks one RCPT more for a new domain (its catch-all test: pipelined, in the same round trip); the peer never says QUIT',
    );
  } finally {
    for (const c of started) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    }
    await db.close();
    await smtp.close();
    await dnsServer.close();
    await admin('DROP DATABASE IF EXISTS mailsift_bench_probe WITH (FORCE)');
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  const [subject, dnsAddress, port] = process.argv.slice(at + 1);
  await child(subject as ChildSubject, dnsAddress!, Number(port));
} else {
  await main();
}
