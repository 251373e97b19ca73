import type { DiagnosticsReport } from './diagnostics.ts';

/**
 * The contract of the verification engine. Everything in src/validation/ is pure of Express,
 * Prisma and BullMQ: workers, the synchronous API and the benchmarks all call it.
 */

export type VerdictStatus = 'deliverable' | 'undeliverable' | 'risky' | 'unknown';

/** Every reason a verdict can give: API.md's table, then what this service adds. */
export const VERDICT_REASONS = [
  'accepted_email',
  'invalid_syntax',
  'invalid_domain',
  'no_mx',
  'rejected_email',
  'catch_all',
  'disposable',
  'role_account',
  'mailbox_full',
  'low_quality',
  'timeout',
  'no_connect',
  'smtp_unavailable',
  'greylisted',
  'blocked',
  'unexpected_error',
  /** The resolver failed (SERVFAIL, timeout, or unhealthy by its canaries): nothing was learnt. */
  'dns_error',
] as const;
export type VerdictReason = (typeof VERDICT_REASONS)[number];

export interface SmtpCheck {
  code: number | null;
  enhanced_code: string | null;
  message: string | null;
}

/** The `checks` object of a result, as API.md shows it (snake_case on the wire). */
export interface Checks {
  syntax: boolean;
  domain: string | null;
  mx_found: boolean;
  mx_host: string | null;
  disposable: boolean;
  role: boolean;
  free: boolean;
  catch_all: boolean | null;
  smtp: SmtpCheck | null;
  /** The mailbox provider known from the MX hosts (`google`, `microsoft`, `yahoo`...), see providers.ts. */
  provider: string | null;
  /** The security gateway the domain's MX points to (`mimecast`, `proofpoint`...). */
  gateway: string | null;
}

export interface Verdict {
  status: VerdictStatus;
  reason: VerdictReason;
  didYouMean: string | null;
  normalized: string | null;
  checks: Checks;
  durationMs: number;
  /** A temporary (4xx) answer: a job tries the address again later before keeping this verdict. */
  temporary: boolean;
  /**
   * Set when the address was not probed because its provider asked the fleet to slow down
   * (providers.ts, pacing.ts): try it again no sooner than this. Never on the wire.
   */
  retryAfterMs?: number;
  /** Why the job should warn its owner (network trouble on our side). Never on the wire. */
  warning?: NetworkWarning;
}

/** Trouble on the probing side that a job reports in its `warnings` (docs/network.md). */
export type NetworkWarning = 'dns_unhealthy' | 'smtp_blocked' | 'proxy_failed';

export interface ParsedAddress {
  valid: boolean;
  /** Trimmed, domain lower-cased and in ASCII (punycode); null when the syntax is invalid. */
  normalized: string | null;
  local: string | null;
  /** ASCII, lower-case domain; null when the syntax is invalid. */
  domain: string | null;
  /** The domain is an address literal (`user@[192.0.2.1]`): valid syntax, never probed. */
  domainLiteral?: boolean;
  /** The local part holds UTF-8 (RFC 6531): probing it needs the server's SMTPUTF8. */
  smtpUtf8?: boolean;
}

export interface VerifyOptions {
  /** Test keys never touch the network: results are simulated from the local part. */
  mode: 'live' | 'test';
  /** Run the SMTP probe (plans without it run syntax, DNS and list checks only). */
  smtp: boolean;
  /** Skip the SMTP probe. */
  quickMode: boolean;
  /** Stops the work early (a worker shutting down); cut-short verdicts are `unknown`. */
  signal?: AbortSignal;
  /**
   * verifyDomainGroup tells each address's verdict here as soon as it is final (its index in
   * `emails`), before the whole group is done: a job keeps answers learnt before a stop.
   */
  onVerdict?: (index: number, verdict: Verdict) => void;
}

export interface Verifier {
  /** One address, bounded by the SMTP deadline. */
  verify(email: string, options: VerifyOptions): Promise<Verdict>;
  /**
   * Addresses that share one domain, in order; the engine may reuse one SMTP session for them.
   * Returns one verdict per input, in the same order.
   */
  verifyDomainGroup(domain: string, emails: string[], options: VerifyOptions): Promise<Verdict[]>;
  /** Runs the probing host's self-check now (diagnostics.ts) and keeps its report. */
  selfCheck(): Promise<DiagnosticsReport>;
  /** The latest self-check's report, null before the first. */
  lastSelfCheck(): DiagnosticsReport | null;
  close(): Promise<void>;
}
