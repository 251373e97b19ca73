import { Counter, Histogram } from 'prom-client';
import { codeClass, registry } from './metrics.ts';

/**
 * The verification engine's traffic: SMTP sessions and replies per MX provider (the row of
 * src/validation/providers.ts the MX host belongs to, `other` for the rest), DNS lookups per
 * record type, and what each probe concluded. The provider table is bounded, so is every label.
 */

const smtpSessions = new Counter({
  name: 'mailsift_smtp_sessions_total',
  help: 'SMTP sessions begun, by MX provider and how the opening ended (opened, refused at banner or EHLO, connect_failed, tls_failed: retried in plain text, failed: dropped or timed out)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

const smtpReplies = new Counter({
  name: 'mailsift_smtp_replies_total',
  help: 'SMTP replies read, by MX provider, the command answered (banner, ehlo, helo, starttls, mail, rcpt, quit, other) and class (2xx..5xx)',
  labelNames: ['provider', 'command', 'class'] as const,
  registers: [registry],
});

const smtpSessionDuration = new Histogram({
  name: 'mailsift_smtp_session_duration_seconds',
  help: 'Time from connecting to an MX host to the connection’s close, by MX provider',
  labelNames: ['provider'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
  registers: [registry],
});

const probeResults = new Counter({
  name: 'mailsift_probe_results_total',
  help: 'What each SMTP probe of an address concluded (the verdict reason, before any later retry), by MX provider',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

const dnsLookups = new Counter({
  name: 'mailsift_dns_lookups_total',
  help: 'DNS queries sent by the engine (cache misses), by record type and outcome (noerror, nxdomain, servfail, refused, timeout, error, other)',
  labelNames: ['type', 'outcome'] as const,
  registers: [registry],
});

const dnsDuration = new Histogram({
  name: 'mailsift_dns_lookup_duration_seconds',
  help: 'Time of one DNS query sent by the engine, by record type',
  labelNames: ['type'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

const COMMANDS = new Set(['ehlo', 'helo', 'starttls', 'mail', 'rcpt', 'quit']);
const DNS_OUTCOMES = new Set(['noerror', 'nxdomain', 'servfail', 'refused', 'timeout', 'error']);

export type SessionOutcome = 'opened' | 'refused' | 'connect_failed' | 'tls_failed' | 'failed';

export interface SmtpSessionMetrics {
  /** A reply read; `command` is the line it answers (`banner` before any command). */
  reply(command: string, reply: { code: number }): void;
  /** How the opening of the session (connect, banner, EHLO, STARTTLS) ended. */
  opened(outcome: SessionOutcome): void;
  /** The connection closed: its duration is observed (once). */
  closed(): void;
}

/** Counts one SMTP session to an MX host of `provider`; its clock starts now. */
export function smtpSessionMetrics(provider: string): SmtpSessionMetrics {
  const started = performance.now();
  let ended = false;
  return {
    reply(command, reply) {
      const verb = command.split(' ', 1)[0]!.toLowerCase();
      smtpReplies.inc({
        provider,
        command: verb === 'banner' || COMMANDS.has(verb) ? verb : 'other',
        class: codeClass(reply.code, 200),
      });
    },
    opened(outcome) {
      smtpSessions.inc({ provider, outcome });
    },
    closed() {
      if (ended) return;
      ended = true;
      smtpSessionDuration.observe({ provider }, (performance.now() - started) / 1000);
    },
  };
}

/** One probed address's conclusion (its verdict reason), under the gateway or else the provider. */
export function countProbeResult(
  checks: { gateway: string | null; provider: string | null },
  reason: string,
): void {
  probeResults.inc({ provider: checks.gateway ?? checks.provider ?? 'other', reason });
}

/** One DNS query: `outcome` is the response code (any case) or `timeout` / `error`. */
export function countDnsLookup(type: string, outcome: string, startedAt: number): void {
  const o = outcome.toLowerCase();
  dnsLookups.inc({ type, outcome: DNS_OUTCOMES.has(o) ? o : 'other' });
  dnsDuration.observe({ type }, (performance.now() - startedAt) / 1000);
}
