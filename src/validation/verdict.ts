import { classifySmtpReply } from './classify.ts';
import type { DomainMail } from './dns.ts';
import { isDisposableDomain, isFreeProvider, isRoleAccount } from './lists.ts';
import type { ProbeOutcome } from './probe.ts';
import { answeringService, detectServices } from './providers.ts';
import { didYouMean, isMajorProvider } from './typo.ts';
import type { Checks, ParsedAddress, Verdict, VerdictReason, VerdictStatus } from './types.ts';

/**
 * Composes the verdict of one address from what was learnt: syntax, lists, DNS, SMTP. Pure.
 * Precedence, first that applies:
 *  1. invalid syntax                   -> undeliverable / invalid_syntax
 *  2. domain literal (never probed)     -> risky / low_quality
 *  3. NXDOMAIN or null MX               -> undeliverable / invalid_domain
 *     no MX and no A/AAAA               -> undeliverable / no_mx
 *  4. disposable domain                 -> risky / disposable (no probe)
 *  5. DNS SERVFAIL / timeout            -> unknown / dns_error, temporary (never an SMTP reason)
 *  6. SMTP probe ran: the reply's class (classify.ts); accepted at a catch-all domain ->
 *     risky / catch_all; a role account stays risky / role_account unless SMTP rejects it.
 *  7. no probe (quick mode, plan without SMTP): role -> risky / role_account, a look-alike of
 *     one of the largest providers (gmial.com: with working MX, a squatter) -> risky /
 *     low_quality, else deliverable / accepted_email with checks.smtp = null (a suggestion for
 *     a smaller provider stays in did_you_mean only: the domain's MX works, the typo is a guess).
 */

export interface AddressFacts {
  parsed: ParsedAddress & { valid: true; local: string; domain: string; normalized: string };
  disposable: boolean;
  role: boolean;
  free: boolean;
  didYouMean: string | null;
}

type Decision = Omit<Verdict, 'durationMs'>;

export function emptyChecks(): Checks {
  return {
    syntax: false,
    domain: null,
    mx_found: false,
    mx_host: null,
    disposable: false,
    role: false,
    free: false,
    catch_all: null,
    smtp: null,
    provider: null,
    gateway: null,
  };
}

export function invalidSyntax(): Decision {
  return {
    status: 'undeliverable',
    reason: 'invalid_syntax',
    didYouMean: null,
    normalized: null,
    checks: emptyChecks(),
    temporary: false,
  };
}

/** Everything known about an address without the network. */
export function factsOf(parsed: ParsedAddress): AddressFacts | null {
  if (
    !parsed.valid ||
    parsed.local === null ||
    parsed.domain === null ||
    parsed.normalized === null
  )
    return null;
  const literal = parsed.domainLiteral === true;
  return {
    parsed: parsed as AddressFacts['parsed'],
    disposable: !literal && isDisposableDomain(parsed.domain),
    role: isRoleAccount(unquote(parsed.local)),
    free: !literal && isFreeProvider(parsed.domain),
    didYouMean: literal ? null : didYouMean(parsed.local, parsed.domain),
  };
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

function unquote(local: string): string {
  return local.startsWith('"') ? local.slice(1, -1).replace(/\\(.)/g, '$1') : local;
}

export interface ProbeFacts {
  outcome: ProbeOutcome;
  mxHost: string | null;
  catchAll: boolean | null;
}

export function composeVerdict(
  facts: AddressFacts,
  dns: DomainMail | null,
  probe: ProbeFacts | null,
): Decision {
  const checks: Checks = {
    ...emptyChecks(),
    syntax: true,
    domain: facts.parsed.domain,
    disposable: facts.disposable,
    role: facts.role,
    free: facts.free,
  };
  const decide = (status: VerdictStatus, reason: VerdictReason, temporary = false): Decision => ({
    status,
    reason,
    temporary,
    didYouMean: facts.didYouMean,
    normalized: facts.parsed.normalized,
    checks,
  });

  if (facts.parsed.domainLiteral || dns === null) return decide('risky', 'low_quality');
  if (dns.kind === 'nxdomain' || dns.kind === 'null_mx')
    return decide('undeliverable', 'invalid_domain');
  if (dns.kind === 'no_mx') return decide('undeliverable', 'no_mx');
  const services = dns.kind === 'mx' && !dns.implicit ? detectServices(dns.hosts) : null;
  if (dns.kind === 'mx') {
    checks.mx_found = true;
    checks.mx_host = probe?.mxHost ?? dns.hosts[0]?.exchange ?? null;
    checks.provider = services?.provider?.id ?? null;
    checks.gateway = services?.gateway?.id ?? null;
  }
  if (facts.disposable) return decide('risky', 'disposable');
  if (dns.kind === 'error') return decide('unknown', 'dns_error', true);

  if (probe) {
    checks.catch_all = probe.catchAll;
    const [status, reason, temporary] = fromOutcome(probe.outcome, checks, facts.parsed.normalized);
    // providers.ts: an RCPT accepted by a provider that accepts every address says nothing.
    const answering = services && answeringService(services);
    if (status === 'deliverable' && answering?.rcpt === 'accepts_all') checks.catch_all = true;
    if (status === 'deliverable' && checks.catch_all === true) {
      return facts.role ? decide('risky', 'role_account') : decide('risky', 'catch_all');
    }
    const paused =
      probe.outcome.kind === 'paused' ? { retryAfterMs: probe.outcome.retryAfterMs } : {};
    if (facts.role && status !== 'undeliverable')
      return { ...decide('risky', 'role_account', temporary), ...paused };
    return { ...decide(status, reason, temporary), ...paused };
  }
  if (facts.role) return decide('risky', 'role_account');
  if (facts.didYouMean && isMajorProvider(domainOf(facts.didYouMean)))
    return decide('risky', 'low_quality');
  return decide('deliverable', 'accepted_email');
}

function fromOutcome(
  o: ProbeOutcome,
  checks: Checks,
  address: string,
): [VerdictStatus, VerdictReason, boolean] {
  switch (o.kind) {
    case 'reply': {
      checks.smtp = { code: o.reply.code, enhanced_code: o.reply.enhanced, message: o.reply.text };
      const c = classifySmtpReply(o.reply.code, o.reply.enhanced, o.reply.text, address);
      return [c.status, c.reason, c.temporary];
    }
    case 'refused': {
      // Refused before RCPT: about us or the server, never about the mailbox.
      checks.smtp = { code: o.reply.code, enhanced_code: o.reply.enhanced, message: o.reply.text };
      const c = classifySmtpReply(o.reply.code, o.reply.enhanced, o.reply.text);
      const temporary = o.reply.code < 500;
      // A 5xx to EHLO / HELO refuses the name we gave, i.e. us (see smtp-session.ts).
      const identity = o.stage === 'helo' && !temporary;
      return [
        'unknown',
        identity || c.reason === 'blocked' ? 'blocked' : 'smtp_unavailable',
        temporary,
      ];
    }
    case 'timeout':
      return ['unknown', 'timeout', false];
    case 'no_connect':
    case 'private':
      return ['unknown', 'no_connect', false];
    case 'dropped':
    case 'utf8_unsupported':
      return ['unknown', 'smtp_unavailable', false];
    case 'dns_error':
      // The MX host's address could not be resolved: a DNS failure, not the mail server's.
      return ['unknown', 'dns_error', true];
    case 'no_slot':
      return ['unknown', 'smtp_unavailable', true];
    case 'paused':
      // The provider asked the fleet to slow down: nothing was asked, the job tries it later.
      if (o.reply)
        checks.smtp = {
          code: o.reply.code,
          enhanced_code: o.reply.enhanced,
          message: o.reply.text,
        };
      return ['unknown', 'greylisted', true];
    case 'no_host':
      return ['undeliverable', 'no_mx', false];
  }
}

/** What GET /v1/enrichment remembers of a verdict (an email_facts row). */
export interface VerdictFact {
  normalized: string;
  domain: string;
  status: VerdictStatus;
  reason: VerdictReason;
  didYouMean: string | null;
  checks: Checks;
}

/**
 * The fact a verdict leaves for enrichment, the same for a job's chunk and for synchronous
 * validation; null for an address of invalid syntax (nothing to look up by).
 */
export function factOf(verdict: Verdict): VerdictFact | null {
  const { normalized } = verdict;
  if (normalized === null) return null;
  return {
    normalized,
    domain:
      verdict.checks.domain ?? normalized.slice(normalized.lastIndexOf('@') + 1).toLowerCase(),
    status: verdict.status,
    reason: verdict.reason,
    didYouMean: verdict.didYouMean,
    checks: verdict.checks,
  };
}
