/**
 * Engine benchmark (npm run bench:engine). Loopback only; bounds itself in time.
 *
 *  (a) parseAddress + lists + typo suggestion on 1,000,000 generated addresses, one core.
 *      Target: >= 300,000 addresses/s.
 *  (b) SMTP probing of 10,000 addresses spread over 200 scripted SMTP servers on
 *      127.0.0.2 .. 127.0.0.201 (one shared port, 20-50 ms of latency per reply, at most 20
 *      recipients per session) behind a scripted DNS server: throughput, and SMTP sessions
 *      opened against domains x ceil(addresses per domain / recipients per session).
 *
 * Options (env): BENCH_PARSE_N (1000000), BENCH_PROBE_N (10000), BENCH_SERVERS (200),
 * BENCH_LANES (200, groups verified at once), BENCH_DEADLINE_MS (120000),
 * BENCH_REDIS=1 (share the connection limit through Redis at REDIS_URL).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { mxZones, startDnsServer } from '../test/support/dns-server.ts';
import { loopbackHosts, startSmtpServers } from '../test/support/smtp-server.ts';
import { createVerifier } from '../src/validation/engine.ts';
import { preloadLists } from '../src/validation/lists.ts';
import { parseAddress } from '../src/validation/syntax.ts';
import type { Verdict } from '../src/validation/types.ts';
import { factsOf } from '../src/validation/verdict.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PARSE_N = env('BENCH_PARSE_N', 1_000_000);
const PROBE_N = env('BENCH_PROBE_N', 10_000);
const SERVERS = env('BENCH_SERVERS', 200);
const LANES = env('BENCH_LANES', 200);
const DEADLINE_MS = env('BENCH_DEADLINE_MS', 120_000);
const RCPTS_PER_SESSION = 20;

function rate(n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;
}

/** A realistic mix: big providers, many company domains, typos, disposables, roles, junk. */
function generateAddresses(n: number): string[] {
  const providers = [
    'gmail.com',
    'yahoo.com',
    'hotmail.com',
    'outlook.com',
    'icloud.com',
    'aol.com',
    'gmx.de',
    'web.de',
    'mail.ru',
    'qq.com',
  ];
  const typos = ['gmial.com', 'hotmial.com', 'yaho.com', 'outlok.com', 'gmail.co'];
  const disposable = ['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'yopmail.com'];
  const roles = ['info', 'sales', 'support', 'admin', 'contact'];
  const first = ['anna', 'ben', 'chloe', 'david', 'eva', 'felix', 'greta', 'hugo', 'ines', 'jonas'];
  const out = new Array<string>(n);
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const name = `${first[i % first.length]}.${(i * 7919) % 100_000}`;
    if (r < 0.45) out[i] = `${name}@${providers[i % providers.length]}`;
    else if (r < 0.85) out[i] = `${name}@company-${(i * 31) % 50_000}.com`;
    else if (r < 0.88) out[i] = `${name}@${typos[i % typos.length]}`;
    else if (r < 0.9) out[i] = `${name}@${disposable[i % disposable.length]}`;
    else if (r < 0.94) out[i] = `${roles[i % roles.length]}@company-${i % 50_000}.co.uk`;
    else if (r < 0.97) out[i] = `  ${name.toUpperCase()}@Company-${i % 1000}.DE `;
    else out[i] = i % 2 ? `${name}@@broken` : `${name}.@nowhere`;
  }
  return out;
}

function benchParse(): void {
  const addresses = generateAddresses(PARSE_N);
  let t = performance.now();
  preloadLists();
  console.log(`(a) lists loaded in ${Math.round(performance.now() - t)} ms`);
  // warm-up (JIT, typo cache of the provider domains)
  for (let i = 0; i < Math.min(20_000, addresses.length); i++)
    factsOf(parseAddress(addresses[i] as string));
  t = performance.now();
  let valid = 0;
  let flagged = 0;
  for (const a of addresses) {
    const facts = factsOf(parseAddress(a));
    if (facts) {
      valid++;
      if (facts.disposable || facts.role || facts.didYouMean) flagged++;
    }
  }
  const ms = performance.now() - t;
  console.log(
    `(a) parseAddress + lists + typo: ${PARSE_N.toLocaleString('en-US')} addresses in ${Math.round(ms)} ms = ${rate(PARSE_N, ms)}` +
      ` (valid ${valid}, disposable/role/typo ${flagged}) target >= 300,000/s: ${PARSE_N / (ms / 1000) >= 300_000 ? 'PASS' : 'FAIL'}`,
  );
}

async function benchProbe(): Promise<void> {
  const hosts = loopbackHosts(SERVERS);
  const domains = hosts.map((_, i) => `bench-${i}.test`);
  const t0 = performance.now();
  const smtp = await startSmtpServers(
    hosts.map((host) => ({
      host,
      behaviour: {
        // user.<even>@ exists, user.<odd>@ does not; anything else (the catch-all probe) neither
        rcpt: (address: string) =>
          Number(/^user\.(\d+)@/.exec(address)?.[1] ?? 1) % 2 === 0
            ? { code: 250, message: '2.1.5 Ok' }
            : {
                code: 550,
                message: `5.1.1 <${address}>: Recipient address rejected: User unknown`,
              },
        maxRecipientsPerSession: RCPTS_PER_SESSION,
        latencyMs: { min: 20, max: 50 },
      },
    })),
  );
  const dns = await startDnsServer(
    mxZones(Object.fromEntries(domains.map((d, i) => [d, hosts[i] as string]))),
  );
  console.log(
    `(b) ${SERVERS} SMTP servers on ${hosts[0]}..${hosts[hosts.length - 1]}:${smtp.port} and DNS at ${dns.address} up in ${Math.round(performance.now() - t0)} ms`,
  );

  const keyPrefix = `mailsift-bench:${randomUUID()}:`;
  const redis =
    process.env.BENCH_REDIS === '1'
      ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      : null;
  const verifier = createVerifier(
    {
      production: false,
      dns: { servers: [dns.address], timeoutMs: 2000 },
      smtp: {
        port: smtp.port,
        heloName: 'bench.mailsift.test',
        mailFrom: 'verify@bench.mailsift.test',
        timeoutMs: 10_000,
        allowPrivate: true,
        maxConnectionsPerHost: 3,
      },
    },
    { redis, logger: pino({ level: 'silent' }), keyPrefix },
  );

  const perDomain = Math.ceil(PROBE_N / SERVERS);
  const groups = domains.map((d, i) =>
    Array.from({ length: perDomain }, (_, k) => `user.${i * perDomain + k}@${d}`),
  );
  const counts: Record<string, number> = {};
  let done = 0;
  let next = 0;
  const stop = setTimeout(() => void verifier.close(), DEADLINE_MS); // bounded in time
  const t = performance.now();
  const lane = async () => {
    while (next < groups.length) {
      const g = groups[next++] as string[];
      const verdicts: Verdict[] = await verifier.verifyDomainGroup(g[0]?.split('@')[1] ?? '', g, {
        mode: 'live',
        smtp: true,
        quickMode: false,
      });
      for (const v of verdicts)
        counts[`${v.status}/${v.reason}`] = (counts[`${v.status}/${v.reason}`] ?? 0) + 1;
      done += verdicts.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, groups.length) }, lane));
  const ms = performance.now() - t;
  clearTimeout(stop);

  const sessions = smtp.servers.reduce((n, s) => n + s.sessions, 0);
  const rcpts = smtp.servers.reduce((n, s) => n + s.rcpts.length, 0);
  const maxOpen = Math.max(...smtp.servers.map((s) => s.maxConcurrentSessions));
  const data = smtp.servers.reduce((n, s) => n + s.dataCommands, 0);
  const target = SERVERS * Math.ceil(perDomain / RCPTS_PER_SESSION);
  console.log(
    `(b) probed ${done.toLocaleString('en-US')} addresses at ${SERVERS} domains in ${Math.round(ms)} ms = ${rate(done, ms)} (${LANES} groups at once)`,
  );
  console.log(`(b) verdicts: ${JSON.stringify(counts)}`);
  console.log(
    `(b) SMTP sessions opened: ${sessions}; target domains x ceil(${perDomain} / ${RCPTS_PER_SESSION}) = ${target}` +
      ` (+1 catch-all RCPT per domain); RCPT commands ${rcpts}; max sessions open on one host ${maxOpen}; DATA commands ${data}`,
  );
  console.log(
    `(b) DNS queries: ${dns.queries} for ${SERVERS} domains (MX + A/AAAA of each MX host)`,
  );

  await verifier.close();
  await Promise.all([smtp.close(), dns.close()]);
  if (redis) {
    const keys = await redis.keys(`${keyPrefix}*`); // the bench's own catch-all memories
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

benchParse();
await benchProbe();
