import { parseAddress } from './syntax.ts';
import type { SmtpCheck, Verdict, VerdictReason, VerdictStatus } from './types.ts';
import { factsOf, invalidSyntax } from './verdict.ts';

/**
 * Test keys (API.md "Test mode"): no DNS, no SMTP, nothing leaves the process. Syntax is checked
 * for real, then the local part (before any "+tag", any case) picks the verdict, so a client can
 * exercise every branch of its integration: deliverable@, undeliverable@, risky@, unknown@,
 * catchall@, timeout@; anything else is deliverable. Deterministic: the same input gives the
 * same verdict, with durationMs 0.
 */

interface Scenario {
  status: VerdictStatus;
  reason: VerdictReason;
  smtp: SmtpCheck | null;
  catchAll: boolean | null;
}

const ACCEPTED: SmtpCheck = { code: 250, enhanced_code: '2.1.5', message: 'Recipient OK' };

const SCENARIOS: Record<string, Scenario> = {
  deliverable: { status: 'deliverable', reason: 'accepted_email', smtp: ACCEPTED, catchAll: false },
  undeliverable: {
    status: 'undeliverable',
    reason: 'rejected_email',
    smtp: {
      code: 550,
      enhanced_code: '5.1.1',
      message: 'The email account that you tried to reach does not exist',
    },
    catchAll: false,
  },
  risky: { status: 'risky', reason: 'low_quality', smtp: ACCEPTED, catchAll: false },
  unknown: { status: 'unknown', reason: 'unexpected_error', smtp: null, catchAll: null },
  catchall: { status: 'risky', reason: 'catch_all', smtp: ACCEPTED, catchAll: true },
  timeout: { status: 'unknown', reason: 'timeout', smtp: null, catchAll: null },
};

const DELIVERABLE = SCENARIOS.deliverable as Scenario;

export const TEST_MODE_LOCAL_PARTS = Object.keys(SCENARIOS);

export function simulateTestVerdict(email: string): Verdict {
  const facts = factsOf(parseAddress(email));
  if (!facts) return { ...invalidSyntax(), durationMs: 0 };
  const { local, domain, normalized } = facts.parsed;
  const base = local.toLowerCase().split('+')[0] ?? '';
  const s = SCENARIOS[base] ?? DELIVERABLE;
  const literal = facts.parsed.domainLiteral === true;
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
      mx_found: !literal,
      mx_host: literal ? null : `mx1.${domain}`,
      disposable: facts.disposable,
      role: facts.role,
      free: facts.free,
      catch_all: s.catchAll,
      smtp: s.smtp,
      // The simulated MX (`mx1.<domain>`) belongs to no known provider.
      provider: null,
      gateway: null,
    },
  };
}
