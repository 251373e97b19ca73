import type { Logger } from 'pino';
import type { CatchAllMemory } from './catch-all.ts';
import { REJECTED, replyWords, TOO_MANY_ERRORS, TOO_MANY_RECIPIENTS } from './classify-text.ts';
import type { ConnectionLimiter } from './connection-limit.ts';
import type { DnsResolver } from './dns.ts';
import type { ProviderPacer } from './pacing.ts';
import type { SmtpReply } from './smtp-reply.ts';
import { Deadline } from './deadline-signal.ts';
import type { ProbeRoute } from './routes.ts';

/** What probe.ts takes and gives, and the reply rules it applies (see probe.ts). */

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
  /**
   * Each target's own time in ms: from the start of its turn (the probe's start, or the answer
   * before it) to its answer.
   */
  turnMs: number[];
}

/** What is known of one target when its outcome is final (see ProbeDeps.onSettled). */
export interface SettledTarget {
  outcome: ProbeOutcome;
  mxHost: string | null;
  catchAll: boolean | null;
  turnMs: number;
}

export interface ProbeSettings {
  port: number;
  heloName: string;
  mailFrom: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Rejected RCPTs after which the session ends (default DEFAULT_MAX_REJECTIONS_PER_SESSION). */
  maxRejectionsPerSession?: number;
  /**
   * RFC 2920 PIPELINING when the server offers it (default true): MAIL FROM and the RCPTs in
   * one write, the catch-all RCPT beside the first; false: one command, one reply, always.
   */
  pipelining?: boolean;
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
  /**
   * Told of each target as soon as its outcome is final (once the domain's catch-all answer,
   * if it is being asked, is known), so a caller can keep answers learnt before a stop.
   */
  onSettled?: (target: number, settled: SettledTarget) => void;
}

/**
 * A per-address budget: renewed when the next address's turn starts. `outers` are the caller's
 * deadline (verify()) and, until a first address is answered, the first address's deadline
 * across every MX host tried.
 */
export class Budget {
  private deadline: Deadline;

  constructor(
    private readonly ms: number,
    private outers: (AbortSignal | undefined)[],
  ) {
    this.deadline = this.arm();
  }

  private arm(): Deadline {
    return new Deadline(this.ms, this.outers, () => new ProbeTimeoutError());
  }

  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  renew(outers: (AbortSignal | undefined)[] = this.outers): void {
    this.deadline.dispose();
    this.outers = outers;
    this.deadline = this.arm();
  }

  dispose(): void {
    this.deadline.dispose();
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

/** A 4xx that calls the recipient unknown, where the provider defers unknown recipients. */
export function deferredUnknown(rules: ProbeRules, reply: SmtpReply): boolean {
  return (
    rules.unknownDeferred === true &&
    reply.code >= 400 &&
    reply.code < 500 &&
    REJECTED.test(replyWords(reply.text))
  );
}

/** The session's recipient budget is spent: too many recipients, or a 452 where it means so. */
export function sessionFull(rules: ProbeRules, reply: SmtpReply): boolean {
  if (endsSession(reply)) return true;
  return rules.newSessionOn452 === true && reply.code === 452 && reply.enhanced !== '4.2.2';
}
