import { parseAddress } from './syntax.ts';
import { isMajorProvider } from './typo.ts';
import type { SmtpCheck, Verdict, VerdictReason, VerdictStatus } from './types.ts';
import { factsOf, invalidSyntax, type AddressFacts } from './verdict.ts';

/**
 * Test keys (API.md "Test mode"): no DNS, no SMTP, nothing leaves the process. Syntax is checked
 * for real. Then the local part (before any "+tag", any case, `-` read as `_`) may name a
 * scenario: every status and every reason of API.md has a keyword (KEYWORDS below, the table of
 * README "Test mode"). Any other address gets the checks that need no network, as the real
 * engine applies them (verdict.ts): a disposable domain is risky / disposable, a role account
 * risky / role_account, a look-alike of a major provider risky / low_quality, else deliverable;
 * `checks.free` comes from the real free-provider list. Deterministic: the same input gives the
 * same verdict, with durationMs 0, and never a temporary one (a job would wait to retry it).
 */

interface Scenario {
  status: VerdictStatus;
  reason: VerdictReason;
  smtp: SmtpCheck | null;
  catchAll: boolean | null;
  /** The domain has MX records (false: invalid_domain, no_mx). */
  mx?: boolean;
  /** The check that the scenario stands for, set even where the lists would not say so. */
  disposable?: boolean;
  role?: boolean;
}

const reply = (code: number, enhanced: string, message: string): SmtpCheck => ({
  code,
  enhanced_code: enhanced,
  message,
});
const ACCEPTED = reply(250, '2.1.5', 'Recipient OK');
const REJECTED = reply(550, '5.1.1', 'The email account that you tried to reach does not exist');

const accepted: Scenario = {
  status: 'deliverable',
  reason: 'accepted_email',
  smtp: ACCEPTED,
  catchAll: false,
};
const rejected: Scenario = {
  status: 'undeliverable',
  reason: 'rejected_email',
  smtp: REJECTED,
  catchAll: false,
};
const lowQuality: Scenario = {
  status: 'risky',
  reason: 'low_quality',
  smtp: ACCEPTED,
  catchAll: false,
};
const catchAll: Scenario = { status: 'risky', reason: 'catch_all', smtp: ACCEPTED, catchAll: true };
const role: Scenario = {
  status: 'risky',
  reason: 'role_account',
  smtp: ACCEPTED,
  catchAll: false,
  role: true,
};
const unexpected: Scenario = {
  status: 'unknown',
  reason: 'unexpected_error',
  smtp: null,
  catchAll: null,
};

/** Keyword (the local part) -> scenario. Each status and each reason (VERDICT_REASONS) names one. */
const KEYWORDS: Record<string, Scenario> = {
  deliverable: accepted,
  accepted_email: accepted,
  undeliverable: rejected,
  rejected_email: rejected,
  invalid_domain: {
    status: 'undeliverable',
    reason: 'invalid_domain',
    smtp: null,
    catchAll: null,
    mx: false,
  },
  no_mx: { status: 'undeliverable', reason: 'no_mx', smtp: null, catchAll: null, mx: false },
  risky: lowQuality,
  low_quality: lowQuality,
  catchall: catchAll,
  catch_all: catchAll,
  disposable: {
    status: 'risky',
    reason: 'disposable',
    smtp: null,
    catchAll: null,
    disposable: true,
  },
  role: role,
  role_account: role,
  mailbox_full: {
    status: 'risky',
    reason: 'mailbox_full',
    smtp: reply(552, '5.2.2', 'Mailbox full: the user is over quota'),
    catchAll: false,
  },
  unknown: unexpected,
  unexpected_error: unexpected,
  timeout: { status: 'unknown', reason: 'timeout', smtp: null, catchAll: null },
  no_connect: { status: 'unknown', reason: 'no_connect', smtp: null, catchAll: null },
  smtp_unavailable: {
    status: 'unknown',
    reason: 'smtp_unavailable',
    smtp: reply(421, '4.3.2', 'Service not available, closing transmission channel'),
    catchAll: null,
  },
  greylisted: {
    status: 'unknown',
    reason: 'greylisted',
    smtp: reply(451, '4.7.1', 'Greylisted, please try again later'),
    catchAll: null,
  },
  blocked: {
    status: 'unknown',
    reason: 'blocked',
    smtp: reply(554, '5.7.1', 'Service unavailable; client host blocked using a DNSBL'),
    catchAll: null,
  },
  dns_error: { status: 'unknown', reason: 'dns_error', smtp: null, catchAll: null, mx: false },
};

/** The keywords test mode knows, as a client types them before the `@`. */
export const TEST_MODE_LOCAL_PARTS = [...Object.keys(KEYWORDS), 'invalid_syntax'];

/** No keyword: the checks that need no network, in the real engine's order (verdict.ts). */
function fromLists(facts: AddressFacts): Scenario {
  if (facts.disposable)
    return { status: 'risky', reason: 'disposable', smtp: null, catchAll: null };
  if (facts.role) return role;
  const suggested = facts.didYouMean?.slice(facts.didYouMean.lastIndexOf('@') + 1);
  if (suggested && isMajorProvider(suggested)) return lowQuality;
  return accepted;
}

export function simulateTestVerdict(email: string): Verdict {
  const facts = factsOf(parseAddress(email));
  if (!facts) return { ...invalidSyntax(), durationMs: 0 };
  const { local, domain, normalized } = facts.parsed;
  const keyword = (local.toLowerCase().split('+')[0] ?? '').replaceAll('-', '_');
  if (keyword === 'invalid_syntax') return { ...invalidSyntax(), durationMs: 0 };
  const s = KEYWORDS[keyword] ?? fromLists(facts);
  const literal = facts.parsed.domainLiteral === true;
  const mx = s.mx !== false && !literal;
  return {
    status: s.status,
    reason: s.reason,
    didYouMean: facts.didYouMean,
    normalized,
    temporary: false,
    durationMs: 0,
    checks: {
      syntax: true,
      domain,
      mx_found: mx,
      mx_host: mx ? `mx1.${domain}` : null,
      disposable: s.disposable === true || facts.disposable,
      role: s.role === true || facts.role,
      free: facts.free,
      catch_all: s.catchAll,
      smtp: s.smtp,
      // The simulated MX (`mx1.<domain>`) belongs to no known provider.
      provider: null,
      gateway: null,
    },
  };
}
