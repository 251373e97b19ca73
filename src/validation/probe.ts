import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CatchAllMemory } from './catch-all.ts';
import { REJECTED, replyWords, TOO_MANY_ERRORS, TOO_MANY_RECIPIENTS } from './classify-text.ts';
import type { ConnectionLimiter, Lease } from './connection-limit.ts';
import type { DnsResolver, MxHost } from './dns.ts';
import { isThrottling, type ProviderPacer } from './pacing.ts';
import { mayConnect } from './safety.ts';
import { SmtpConnectError } from './smtp-client.ts';
import type { SmtpReply } from './smtp-reply.ts';
import { openSession, QUIT_WAIT_MS } from './smtp-session.ts';
import type { ProbeRoute } from './routes.ts';

/**
 * Probes the mailboxes of one domain: MX hosts in preference order (the next on a failed
 * connect, RFC 5321 5.1), several addresses per session (RCPT after RCPT in one transaction,
 * a new session when the server says too many recipients, 452 or 552), one random address per domain
 * to detect a catch-all, QUIT, and never DATA. Every address has its own hard deadline.
 */

export type ProbeOutcome =
  | { kind: 'reply'; reply: SmtpReply }
  /** Refused before RCPT: greeting, EHLO/HELO or MAIL FROM. */
  | { kind: 'refused'; stage: 'banner' | 'helo' | 'mail'; reply: SmtpReply }
  | { kind: 'timeout' }
  | { kind: 'no_connect' }
  /** Every MX address is private / loopback / reserved and SMTP_ALLOW_PRIVATE is off. */
  | { kind: 'private' }
  /** The server closed the connection or broke the protocol mid-dialogue. */
  | { kind: 'dropped' }
  /** The MX hosts' addresses could not be resolved (SERVFAIL / timeout). */
  | { kind: 'dns_error' }
  /** No MX host has an address at all. */
  | { kind: 'no_host' }
  /** A UTF-8 local part and a server without SMTPUTF8 (RFC 6531). */
  | { kind: 'utf8_unsupported' }
  /** No connection slot for the MX host came free in time. */
  | { kind: 'no_slot' }
  /** The provider throttled the fleet (pacing.ts): not asked; try again after `retryAfterMs`. */
  | { kind: 'paused'; retryAfterMs: number; reply?: SmtpReply };

export interface ProbeTarget {
  /** The address as sent in RCPT TO (normalised: ASCII domain). */
  address: string;
  smtpUtf8: boolean;
}

export interface DomainProbe {
  outcomes: ProbeOutcome[];
  /** The MX host that answered, else the first one tried. */
  mxHost: string | null;
  catchAll: boolean | null;
}

export interface ProbeSettings {
  port: number;
  heloName: string;
  mailFrom: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Rejected RCPTs after which the session ends (default DEFAULT_MAX_REJECTIONS_PER_SESSION). */
  maxRejectionsPerSession?: number;
}

/** What the provider table (providers.ts) tells the probe about a domain's hosts. */
export interface ProbeRules {
  /** The catch-all answer known without asking (a provider whose RCPT answers are reliable). */
  catchAll?: boolean;
  /** A 452 (other than X.2.2) ends the session's recipient budget, as Microsoft's do. */
  newSessionOn452?: boolean;
  /** A made-up address deferred as invalid / unknown means "not a catch-all" (Mimecast). */
  unknownDeferred?: boolean;
  /** How to reach an MX host (routes.ts): direct or a proxy, with its identity; default direct. */
  route?: (mxHost: string) => ProbeRoute;
  /** The id of an MX host's route (no source address taken). */
  routeId?: (mxHost: string) => string;
  /** Fleet-wide pauses after throttling answers; the key of an MX host, null: not paced. */
  pacing?: { pacer: ProviderPacer; keyOf: (mxHost: string) => string | null };
}

/**
 * MTAs count a session's errors and slow down or hang up past a limit (Postfix:
 * smtpd_soft_error_limit 10 delays every reply, smtpd_hard_error_limit 20 answers `421 4.7.0
 * Error: too many errors`; Exim ACLs commonly drop on $rcpt_fail_count; Sendmail's
 * BadRcptThrottle sleeps). Ending a session after a few rejections keeps every session far from
 * those limits, and a list of dead addresses does not read as address harvesting.
 */
export const DEFAULT_MAX_REJECTIONS_PER_SESSION = 5;

export interface ProbeDeps {
  dns: DnsResolver;
  limiter: ConnectionLimiter;
  catchAll: CatchAllMemory;
  logger: Logger;
  /** The session cap of a proxy, across the fleet (SMTP_PROXY_MAX_CONNECTIONS). */
  proxyLimiter?: (proxy: string) => ConnectionLimiter;
  /** Told of every connection through a proxy that failed, and of every one that worked. */
  onProxyResult?: (proxy: string, error: string | null) => void;
}

/**
 * A per-address budget: renewed when the next address's turn starts. `outer` is the caller's
 * deadline (verify()) and, until a first address is answered, the first address's deadline
 * across every MX host tried.
 */
class Budget {
  private controller = new AbortController();
  private timer: NodeJS.Timeout;
  signal: AbortSignal;

  constructor(
    private readonly ms: number,
    private outer: AbortSignal | undefined,
  ) {
    this.timer = this.arm();
    this.signal = this.combined();
  }

  private arm(): NodeJS.Timeout {
    const c = this.controller;
    return setTimeout(() => c.abort(new ProbeTimeoutError()), this.ms);
  }

  private combined(): AbortSignal {
    return this.outer
      ? AbortSignal.any([this.controller.signal, this.outer])
      : this.controller.signal;
  }

  renew(outer: AbortSignal | undefined = this.outer): void {
    clearTimeout(this.timer);
    this.outer = outer;
    this.controller = new AbortController();
    this.timer = this.arm();
    this.signal = this.combined();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
}

/**
 * The session's recipients limit, not a verdict on the address. RFC 5321 4.5.3.1.10: 452 is
 * correct, but RFC 821 listed 552 and servers still send it (and other codes); the enhanced code
 * X.5.3 or the text decides, whatever the code.
 */
export const isTooManyRecipients = (r: SmtpReply): boolean =>
  r.code >= 400 &&
  (/^[45]\.5\.3$/.test(r.enhanced ?? '') || TOO_MANY_RECIPIENTS.test(r.text.toLowerCase()));

/**
 * The server ends the session because of the session itself, not the address: too many
 * recipients, Postfix's `421 4.7.0 Error: too many errors` (smtpd_hard_error_limit), an Exim
 * ACL's `550 Too many unknown recipients` before it drops the connection. The address asked and
 * those after it go on in a new session.
 */
export const endsSession = (r: SmtpReply): boolean =>
  isTooManyRecipients(r) || (r.code >= 400 && TOO_MANY_ERRORS.test(r.text.toLowerCase()));

export async function probeDomain(
  domain: string,
  hosts: MxHost[],
  targets: ProbeTarget[],
  settings: ProbeSettings,
  deps: ProbeDeps,
  outer?: AbortSignal,
  rules: ProbeRules = {},
): Promise<DomainProbe> {
  const outcomes: (ProbeOutcome | undefined)[] = targets.map(() => undefined);
  let pending = targets.map((_, i) => i);
  let failure: ProbeOutcome = { kind: 'no_host' };
  let mxHost: string | null = hosts[0]?.exchange ?? null;
  const known = rules.catchAll ?? (await deps.catchAll.get(domain));
  let catchAll: boolean | null = known ?? null;
  let catchAllTested = known !== undefined;
  let firstDeadline: AbortSignal | undefined;
  let answered = false;

  for (const host of hosts) {
    if (pending.length === 0 || outer?.aborted) break;
    const resolved = await deps.dns.resolveHost(host.exchange);
    if (resolved.kind !== 'ok') {
      if (resolved.kind === 'error' && failure.kind === 'no_host') failure = { kind: 'dns_error' };
      continue;
    }
    const ips = resolved.addresses.filter((ip) => mayConnect(ip, settings.allowPrivate));
    if (ips.length === 0) {
      if (failure.kind === 'no_host' || failure.kind === 'dns_error') failure = { kind: 'private' };
      deps.logger.debug({ domain, mx: host.exchange }, 'MX host only has non-public addresses');
      continue;
    }
    for (const ip of ips.slice(0, 2)) {
      const r = await sessions(ip, host.exchange);
      if (r === 'next') continue;
      mxHost = host.exchange;
      break;
    }
    if (pending.length === 0) break;
  }
  // Stopped from outside (a deadline, a shutdown) before these were answered: that says nothing
  // about the domain, so never let it read as "no mail host" (undeliverable).
  if (outer?.aborted && failure.kind === 'no_host') failure = { kind: 'timeout' };
  for (const i of pending) outcomes[i] = failure;
  return { outcomes: outcomes.map((o) => o ?? failure), mxHost, catchAll };

  /** Runs sessions on one address until every pending target has an outcome; 'next' = try another MX. */
  async function sessions(ip: string, mx: string): Promise<'done' | 'next'> {
    let progressed = false;
    const paceKey = rules.pacing?.keyOf(mx) ?? null;
    /** A throttling answer pauses the provider fleet-wide: the pause in ms, else null. */
    const throttled = async (reply: SmtpReply): Promise<number | null> =>
      paceKey && rules.pacing && isThrottling(reply) ? rules.pacing.pacer.pause(paceKey) : null;
    while (pending.length > 0) {
      const wait = paceKey && rules.pacing ? await rules.pacing.pacer.pausedFor(paceKey) : 0;
      if (wait > 0) {
        settle(pending, { kind: 'paused', retryAfterMs: wait });
        return 'done';
      }
      // The wait for a slot is politeness, not the server's time: the budget starts after it.
      const slotWait = AbortSignal.timeout(Math.max(settings.timeoutMs * 5, 60_000));
      const slotSignal = outer ? both(outer, slotWait) : slotWait;
      const route = rules.route?.(mx) ?? null;
      let lease: Lease;
      let proxyLease: Lease | null = null;
      try {
        lease = await deps.limiter.acquire(ip, slotSignal);
      } catch {
        settle(pending, outer?.aborted ? { kind: 'timeout' } : { kind: 'no_slot' });
        return 'done';
      }
      // The per-MX cap holds fleet-wide whatever the way out; a proxy has its own cap beside it.
      if (route?.proxy && deps.proxyLimiter) {
        try {
          proxyLease = await deps
            .proxyLimiter(route.proxy.name)
            .acquire(route.proxy.name, slotSignal);
        } catch {
          await lease.release();
          settle(pending, outer?.aborted ? { kind: 'timeout' } : { kind: 'no_slot' });
          return 'done';
        }
      }
      // Until one address is answered, its deadline also spans every MX host tried.
      firstDeadline ??= AbortSignal.timeout(settings.timeoutMs);
      const budget = new Budget(settings.timeoutMs, answered ? outer : both(outer, firstDeadline));
      /** The QUIT sent and not yet answered: the slots are held until it settles. */
      let closing: Promise<void> | null = null;
      try {
        const opened = await openSession({
          ip,
          mxHost: mx,
          port: settings.port,
          heloName: route?.heloName ?? settings.heloName,
          connectTimeoutMs: Math.max(1000, Math.floor(settings.timeoutMs / 3)),
          signal: budget.signal,
          ...(route?.localAddress ? { localAddress: route.localAddress } : {}),
          proxy: route?.proxy ?? null,
        });
        if (route?.proxy) deps.onProxyResult?.(route.proxy.name, null);
        if (opened.kind === 'refused') {
          closing = opened.closing;
          const pause = await throttled(opened.reply);
          if (pause !== null) {
            settle(pending, { kind: 'paused', retryAfterMs: pause, reply: opened.reply });
            return 'done';
          }
          failure = { kind: 'refused', stage: opened.stage, reply: opened.reply };
          if (progressed) settle(pending, failure);
          return progressed ? 'done' : 'next';
        }
        progressed = true;
        const { conn, extensions } = opened;
        const utf8 = extensions.has('SMTPUTF8');
        const needUtf8 = utf8 && pending.some((i) => targets[i]?.smtpUtf8);
        const mail = await conn.command(
          `MAIL FROM:<${route?.mailFrom ?? settings.mailFrom}>${needUtf8 ? ' SMTPUTF8' : ''}`,
          budget.signal,
        );
        if (mail.code !== 250) {
          const pause = await throttled(mail);
          settle(
            pending,
            pause !== null
              ? { kind: 'paused', retryAfterMs: pause, reply: mail }
              : { kind: 'refused', stage: 'mail', reply: mail },
          );
          closing = conn.quit(QUIT_WAIT_MS, outer);
          return 'done';
        }
        let inSession = 0;
        let rejections = 0;
        const maxRejections =
          settings.maxRejectionsPerSession ?? DEFAULT_MAX_REJECTIONS_PER_SESSION;
        const queue = [...pending];
        for (const i of queue) {
          const target = targets[i] as ProbeTarget;
          if (target.smtpUtf8 && !utf8) {
            settle([i], { kind: 'utf8_unsupported' });
            continue;
          }
          const reply = await conn.command(`RCPT TO:<${target.address}>`, budget.signal);
          if (sessionFull(reply) && inSession > 0) break; // continue in a new session
          inSession++;
          const pause = await throttled(reply);
          if (reply.code === 421 && pause === null) {
            settle(pending, { kind: 'reply', reply }); // the server is closing the session
            break;
          }
          settle([i], { kind: 'reply', reply });
          if (reply.code >= 400) rejections++;
          if (pause !== null) {
            // The provider asked us to slow down: the others wait for the pause (the job's retry).
            settle(pending, { kind: 'paused', retryAfterMs: pause });
            break;
          }
          // The catch-all probe also follows a temporary answer: a greylisting server then
          // knows the probe address too, and the job's later try gets a definite answer for both.
          if (reply.code >= 200 && reply.code < 500 && !catchAllTested) {
            catchAllTested = true;
            const random = await conn.command(
              `RCPT TO:<${catchAllProbeLocal(domain)}@${domain}>`,
              budget.signal,
            );
            inSession++;
            if (random.code >= 400) rejections++;
            if (random.code >= 200 && random.code < 300) catchAll = true;
            else if ((random.code >= 500 || deferredUnknown(random)) && !sessionFull(random))
              catchAll = false;
            if (catchAll !== null) await deps.catchAll.set(domain, catchAll);
          }
          budget.renew(outer);
          // Polite: stay far below the server's error limits; the rest go on in a new session.
          if (rejections >= maxRejections) break;
        }
        // The verdicts do not wait for the 221 (a sync probe answers one round trip sooner).
        closing = conn.quit(QUIT_WAIT_MS, outer);
      } catch (err) {
        const timedOut = budget.signal.aborted;
        deps.logger.debug({ domain, mx, err: (err as Error).message }, 'SMTP session ended early');
        if (err instanceof SmtpConnectError && err.proxy)
          deps.onProxyResult?.(err.proxy, err.message);
        if (!timedOut && !progressed) {
          // Nothing learnt from this host yet (refused, unreachable, closed at once): next MX.
          failure = err instanceof SmtpConnectError ? { kind: 'no_connect' } : { kind: 'dropped' };
          return 'next';
        }
        // A tarpit or a dropped session: the targets still waiting share the fate of the current one.
        settle(
          pending,
          timedOut
            ? { kind: 'timeout' }
            : err instanceof SmtpConnectError
              ? { kind: 'no_connect' }
              : { kind: 'dropped' },
        );
      } finally {
        budget.dispose();
        const release = async () => {
          await proxyLease?.release();
          await lease.release();
        };
        // The session counts against the host's cap until its connection is closed.
        if (closing)
          void closing.then(release).catch((err: unknown) => {
            deps.logger.warn({ err, mx }, 'could not release an SMTP connection slot');
          });
        else await release();
      }
    }
    return 'done';
  }

  /** A 4xx that calls the recipient unknown, where the provider defers unknown recipients. */
  function deferredUnknown(reply: SmtpReply): boolean {
    return (
      rules.unknownDeferred === true &&
      reply.code >= 400 &&
      reply.code < 500 &&
      REJECTED.test(replyWords(reply.text))
    );
  }

  /** The session's recipient budget is spent: too many recipients, or a 452 where it means so. */
  function sessionFull(reply: SmtpReply): boolean {
    if (endsSession(reply)) return true;
    return rules.newSessionOn452 === true && reply.code === 452 && reply.enhanced !== '4.2.2';
  }

  function settle(indexes: number[], outcome: ProbeOutcome): void {
    if (indexes.length > 0) answered = true;
    for (const i of indexes) outcomes[i] = outcome;
    const done = new Set(indexes);
    pending = pending.filter((i) => !done.has(i));
  }
}

function both(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}

/** A local part no one has: `x` and 12 hex digits (RFC 5321 4.1.2 atext only). */
/**
 * The address that tests a domain for catch-all: random-looking, but the same for a domain on
 * every try, in every worker, so that a greylisting server (which defers each new sender and
 * recipient pair once) lets it through on the job's later try.
 */
function catchAllProbeLocal(domain: string): string {
  return `x${createHash('sha256').update(`mailsift catch-all ${domain}`).digest('hex').slice(0, 12)}`;
}
