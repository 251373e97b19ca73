import type { Logger } from 'pino';
import { countProbeResult } from '../lib/probe-metrics.ts';
import type { DnsResolver, DomainMail } from './dns.ts';
import type { NetworkState } from './network-state.ts';
import type { ProviderPacer } from './pacing.ts';
import {
  probeDomain,
  type DomainProbe,
  type ProbeDeps,
  type ProbeRules,
  type ProbeSettings,
  type ProbeTarget,
  type SettledTarget,
} from './probe.ts';
import { answeringService, detectServices, type DomainServices } from './providers.ts';
import type { ResolverHealth } from './resolver-health.ts';
import type { RouteTable } from './routes.ts';
import { parseAddress } from './syntax.ts';
import { simulateTestVerdict } from './test-mode.ts';
import type { NetworkWarning, Verdict, VerifyOptions } from './types.ts';
import { composeVerdict, factsOf, invalidSyntax, type AddressFacts } from './verdict.ts';

/**
 * The verification of a list of addresses (engine.ts's verify and verifyDomainGroup): syntax and
 * lists, one DNS lookup and one probe per domain, and a verdict per address, told to
 * `options.onVerdict` as soon as it is final.
 */

/** What createVerifier builds once and every verification shares. */
export interface Engine {
  smtp: ProbeSettings;
  logger: Logger;
  dns: DnsResolver;
  health: ResolverHealth;
  routes: RouteTable;
  network: NetworkState;
  pacer: ProviderPacer;
  probeDeps: Omit<ProbeDeps, 'onProxyResult' | 'onSettled'>;
}

interface Member {
  index: number;
  facts: AddressFacts;
}

/** One call of verifyMany: its clock, its verdicts so far, its caller's options. */
interface Run {
  start: number;
  verdicts: (Verdict | undefined)[];
  options: VerifyOptions;
  outer: AbortSignal;
}

/** What the probe said of one member, and how long its own turn took. */
interface ProbedMember extends SettledTarget {
  warning: NetworkWarning | undefined;
}

export async function verifyMany(
  engine: Engine,
  emails: string[],
  options: VerifyOptions,
  outer: AbortSignal,
): Promise<Verdict[]> {
  const run: Run = {
    start: performance.now(),
    verdicts: emails.map(() => undefined),
    options,
    outer,
  };
  if (options.mode === 'test') {
    emails.forEach((email, index) => keep(run, index, simulateTestVerdict(email)));
    return run.verdicts as Verdict[];
  }
  const byDomain = new Map<string, Member[]>();
  emails.forEach((email, index) => {
    const facts = factsOf(parseAddress(email));
    if (!facts) {
      keep(run, index, { ...invalidSyntax(), durationMs: elapsed(run.start) });
      return;
    }
    const list = byDomain.get(facts.parsed.domain) ?? [];
    list.push({ index, facts });
    byDomain.set(facts.parsed.domain, list);
  });
  await Promise.all(
    [...byDomain].map(([domain, members]) =>
      verifyDomain(engine, run, domain, members).catch((err: unknown) => {
        // A bug must not sink the other domains of a chunk: these addresses become unknown.
        engine.logger.error({ err, domain }, 'verification failed unexpectedly');
        for (const m of members) {
          keep(run, m.index, {
            ...composeVerdict(m.facts, { kind: 'error', error: 'servfail' }, null),
            status: 'unknown',
            reason: 'unexpected_error',
            temporary: false,
            durationMs: elapsed(run.start),
          });
        }
      }),
    ),
  );
  return run.verdicts.map((v) => v ?? { ...invalidSyntax(), durationMs: elapsed(run.start) });
}

/** A member's verdict is final: kept once (the first wins) and told to the caller. */
function keep(run: Run, index: number, verdict: Verdict): void {
  if (run.verdicts[index]) return;
  run.verdicts[index] = verdict;
  run.options.onVerdict?.(index, verdict);
}

async function verifyDomain(engine: Engine, run: Run, domain: string, members: Member[]) {
  const literal = members[0]?.facts.parsed.domainLiteral === true;
  // RFC 5321 4.1.3 address literals are never resolved or probed (see docs/engine.md).
  let mail = literal ? null : await engine.dns.resolveMail(domain);
  let warning: NetworkWarning | undefined;
  // A failure, an NXDOMAIN or an empty answer is believed only from a resolver whose
  // canaries are right: a broken one must not make a list undeliverable.
  if (mail && (mail.kind === 'error' || mail.kind === 'nxdomain' || mail.kind === 'no_mx')) {
    const state = await engine.health.check();
    if (!state.healthy) {
      engine.logger.warn(
        { domain, resolver: state.detail },
        'resolver unhealthy: DNS answer not trusted',
      );
      mail = { kind: 'error', error: 'servfail' };
      warning = 'dns_unhealthy';
    }
  }
  // The first answer of the group also carries the group's own start (DNS, connection).
  const probeStart = performance.now();
  let firstAnswer = true;
  const finish = (m: Member, p: ProbedMember | null) => {
    if (run.verdicts[m.index]) return; // told already, as soon as its probe had it
    const decision = composeVerdict(
      m.facts,
      mail,
      p ? { outcome: p.outcome, mxHost: p.mxHost, catchAll: p.catchAll } : null,
    );
    const w = warning ?? p?.warning;
    let durationMs = elapsed(run.start);
    if (p) {
      countProbeResult(decision.checks, decision.reason);
      durationMs = p.turnMs + (firstAnswer ? Math.round(probeStart - run.start) : 0);
      firstAnswer = false;
    }
    keep(run, m.index, {
      ...decision,
      durationMs,
      ...(w && decision.status === 'unknown' ? { warning: w } : {}),
    });
  };
  const toProbe =
    run.options.smtp && !run.options.quickMode && mail?.kind === 'mx'
      ? members.filter((m) => !m.facts.disposable)
      : [];
  const probed =
    toProbe.length > 0 && mail?.kind === 'mx'
      ? await runProbe(engine, domain, mail, toProbe, run.outer, finish)
      : null;
  for (const m of members) finish(m, probed?.get(m.index) ?? null);
}

/** What the provider table says about probing a domain (docs/providers.md). */
function probeRules(engine: Engine, services: DomainServices): ProbeRules {
  const s = answeringService(services);
  const ids = [services.provider?.id, services.gateway?.id].filter((x): x is string => !!x);
  return {
    route: (mx) => engine.routes.routeFor(mx, ids),
    routeId: (mx) => engine.routes.routeIdFor(mx, ids),
    ...(s?.rcpt === 'reliable' ? { catchAll: false } : {}),
    // Accepting every address is the provider's known behaviour: no made-up RCPT needed.
    ...(s?.rcpt === 'accepts_all' ? { catchAll: true } : {}),
    newSessionOn452: s?.newSessionOn452 === true,
    unknownDeferred: s?.unknownDeferred === true,
    // Only known providers are paced fleet-wide: their throttling covers every domain they host.
    pacing: { pacer: engine.pacer, keyOf: () => (s ? `service:${s.id}` : null) },
  };
}

/** The same mailbox twice in a group is asked once (RCPT is case-insensitive in practice). */
function targetsOf(members: Member[]): { targets: ProbeTarget[]; targetOf: number[] } {
  const targets: ProbeTarget[] = [];
  const slot = new Map<string, number>();
  const targetOf = members.map((m) => {
    const key = m.facts.parsed.normalized.toLowerCase();
    let t = slot.get(key);
    if (t === undefined) {
      t =
        targets.push({
          address: m.facts.parsed.normalized,
          smtpUtf8: m.facts.parsed.smtpUtf8 === true,
        }) - 1;
      slot.set(key, t);
    }
    return t;
  });
  return { targets, targetOf };
}

async function runProbe(
  engine: Engine,
  domain: string,
  mail: Extract<DomainMail, { kind: 'mx' }>,
  members: Member[],
  outer: AbortSignal,
  onMember: (m: Member, p: ProbedMember) => void,
): Promise<Map<number, ProbedMember>> {
  const { targets, targetOf } = targetsOf(members);
  const { routes, network, logger } = engine;
  const rules: ProbeRules = mail.implicit
    ? { route: (mx) => routes.routeFor(mx, []), routeId: (mx) => routes.routeIdFor(mx, []) }
    : probeRules(engine, detectServices(mail.hosts));
  // The self-check found no way out to port 25 for every host's route: say so at once.
  const blocked = mail.hosts.every((h) =>
    network.blockedWhy(rules.routeId?.(h.exchange) ?? 'direct'),
  );
  let proxyFailed = false;
  const warningNow = (): NetworkWarning | undefined =>
    blocked ? 'smtp_blocked' : proxyFailed ? 'proxy_failed' : undefined;
  const result: DomainProbe = blocked
    ? {
        outcomes: targets.map(() => ({ kind: 'no_connect' as const })),
        mxHost: null,
        catchAll: null,
        turnMs: targets.map(() => 0),
      }
    : await probeDomain(
        domain,
        mail.hosts,
        targets,
        engine.smtp,
        {
          ...engine.probeDeps,
          onProxyResult: (name: string, error: string | null) => {
            network.recordProxy(name, error);
            if (error) {
              proxyFailed = true;
              logger.warn({ proxy: name, error }, 'SOCKS proxy failed');
            }
          },
          onSettled: (target, settled) => {
            members.forEach((m, i) => {
              if (targetOf[i] === target) onMember(m, { ...settled, warning: warningNow() });
            });
          },
        },
        outer,
        rules,
      );
  const warning = warningNow();
  return new Map(
    members.map((m, i) => {
      const t = targetOf[i] as number;
      const outcome = result.outcomes[t] ?? { kind: 'no_host' as const };
      return [
        m.index,
        {
          outcome,
          mxHost: result.mxHost,
          catchAll: result.catchAll,
          turnMs: result.turnMs[t] ?? 0,
          warning,
        },
      ];
    }),
  );
}

/** The verdict of an address whose hard deadline passed before the work ended. */
export function timeoutVerdict(email: string, start: number): Verdict {
  const facts = factsOf(parseAddress(email));
  const base = facts
    ? composeVerdict(facts, { kind: 'error', error: 'timeout' }, null)
    : invalidSyntax();
  if (!facts || base.status === 'risky') return { ...base, durationMs: elapsed(start) };
  return {
    ...base,
    status: 'unknown',
    reason: 'timeout',
    temporary: false,
    durationMs: elapsed(start),
  };
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
