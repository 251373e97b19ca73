import {
  BLOCKED,
  GREYLIST,
  MAILBOX_FULL,
  MAILBOX_SHUT,
  RECEIVING_TOO_MUCH,
  REJECTED,
  SEPARATE_TRANSACTION,
  SERVICE_UNAVAILABLE,
  STORAGE_OF_MAILBOX,
  TOO_MANY_ERRORS,
  TOO_MANY_RECIPIENTS,
  replyWords,
} from './classify-text.ts';
import type { VerdictReason, VerdictStatus } from './types.ts';

/**
 * What a reply to RCPT TO says about the mailbox, as data: an ordered table of rules (reply
 * class, enhanced status code, text pattern), first match wins. The order carries the policy:
 *
 *  1. 2xx: accepted.
 *  2. 5xx "too many recipients" (X.5.3): a session limit, not the mailbox (RFC 5321 4.5.3.1.10);
 *     "too many errors" (Postfix's 421 at smtpd_hard_error_limit) in 4xx and 5xx alike.
 *  3. Mailbox full / over quota, in any class: risky/mailbox_full (RFC 3463 X.2.2). Storage
 *     wording alone ("insufficient system storage") is the server's disk unless the mailbox,
 *     user or quota is named.
 *  4. 4xx greylisting / "try later": unknown/greylisted, temporary.
 *  5. Refusals of *us* (blocklists, reputation, reverse DNS, relay, spam policy, our IP, HELO or
 *     MAIL FROM, X.1.7 / X.1.8 bad sender): unknown/blocked, in any class. Checked before the
 *     user-unknown rules because a block says nothing about the mailbox, even with 550 or 5.1.1.
 *  6. 521 (RFC 7504: host does not accept mail): unknown/smtp_unavailable, never rejected.
 *  7. Any other 4xx: unknown/greylisted, temporary (the job retries it later).
 *  8. 5xx "service unavailable": the server refuses service, not the mailbox: smtp_unavailable.
 *  9. 5xx naming the mailbox (unknown, disabled, no such user...): undeliverable/rejected_email;
 *     OpenSMTPD's `524 5.2.4` unknown user too.
 * 10. 5xx by enhanced code alone: X.1.x (not 1.7 / 1.8) / 5.2.1 / 5.4.1 rejected, X.7.x blocked,
 *     X.3.x (mail system status) smtp_unavailable.
 * 11. 5xx by basic code alone: 550 / 551 / 553 rejected (RFC 5321 4.2.2), 552 mailbox_full.
 * 12. Anything else: unknown/unexpected_error.
 * Texts are matched case-insensitively on the whole reply with line breaks joined.
 */

export interface SmtpClassification {
  status: VerdictStatus;
  reason: VerdictReason;
  /** A 4xx reply: the address should be tried again later before this verdict is kept. */
  temporary: boolean;
}

type Class = '2' | '4' | '5';

interface Rule {
  name: string;
  classes: Class[];
  enhanced?: RegExp;
  text?: RegExp;
  codes?: number[];
  status: VerdictStatus;
  reason: VerdictReason;
}

const ANY: Class[] = ['2', '4', '5'];

// --- the table -----------------------------------------------------------------------------

export const SMTP_REPLY_RULES: readonly Rule[] = [
  { name: 'accepted', classes: ['2'], status: 'deliverable', reason: 'accepted_email' },
  {
    // A 4xx one falls to "temporary" below; the probe opens a new session for either.
    name: 'too many recipients (text)',
    classes: ['5'],
    text: TOO_MANY_RECIPIENTS,
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  {
    name: 'too many recipients (X.5.3)',
    classes: ['5'],
    enhanced: /^5\.5\.3$/,
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  {
    // Postfix's `421 4.7.0 Error: too many errors`: the session's error count, not the mailbox,
    // and not a greylisting (the probe goes on in a new session; seen here only if that fails).
    name: 'too many errors in the session',
    classes: ['4', '5'],
    text: TOO_MANY_ERRORS,
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  {
    // The same limit deferred (4xx): try again, in a new session (probe.ts).
    name: 'one transaction too many (4xx X.5.3)',
    classes: ['4'],
    enhanced: /^4\.5\.3$/,
    status: 'unknown',
    reason: 'greylisted',
  },
  {
    name: 'one transaction too many (text)',
    classes: ['4', '5'],
    text: SEPARATE_TRANSACTION,
    status: 'unknown',
    reason: 'greylisted',
  },
  {
    // The mailbox exists and is receiving too much: not a failure to learn anything.
    name: 'recipient receiving too much',
    classes: ['4', '5'],
    text: RECEIVING_TOO_MUCH,
    status: 'risky',
    reason: 'mailbox_full',
  },
  {
    // RFC 3463 X.7.n (security or policy) beyond the generic 5.7.0 / 5.7.1 that servers use for
    // anything: the enhanced code weighs more than the words ("4.7.3 ... queue quota exceeded").
    name: 'security or policy (specific X.7.n)',
    classes: ['4', '5'],
    enhanced: /^[45]\.7\.([2-9]|\d{2,})$/,
    status: 'unknown',
    reason: 'blocked',
  },
  {
    name: 'mailbox full (text)',
    classes: ['4', '5'],
    text: MAILBOX_FULL,
    status: 'risky',
    reason: 'mailbox_full',
  },
  {
    name: 'mailbox full (storage of the mailbox)',
    classes: ['4', '5'],
    text: STORAGE_OF_MAILBOX,
    status: 'risky',
    reason: 'mailbox_full',
  },
  {
    name: 'mailbox full (X.2.2)',
    classes: ['4', '5'],
    enhanced: /^[45]\.2\.2$/,
    status: 'risky',
    reason: 'mailbox_full',
  },
  {
    // Disabled, suspended, inactive, archived, "blocked due to inactivity": gone like an unknown
    // one, and before the refusals of us, whose "blocked" would otherwise win.
    name: 'mailbox shut (text)',
    classes: ['5'],
    text: MAILBOX_SHUT,
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  { name: 'greylisted', classes: ['4'], text: GREYLIST, status: 'unknown', reason: 'greylisted' },
  { name: 'blocked', classes: ['4', '5'], text: BLOCKED, status: 'unknown', reason: 'blocked' },
  {
    // RFC 3463: X.1.7 bad sender's mailbox address syntax, X.1.8 bad sender's system address.
    name: 'our sender refused (X.1.7, X.1.8)',
    classes: ['4', '5'],
    enhanced: /^[45]\.1\.[78]$/,
    status: 'unknown',
    reason: 'blocked',
  },
  {
    // RFC 7504: the host accepts no mail at all (AOL used it for blocks): nothing about the mailbox.
    name: 'no mail service (521)',
    classes: ['5'],
    codes: [521],
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  { name: 'temporary', classes: ['4'], status: 'unknown', reason: 'greylisted' },
  {
    name: 'service unavailable (text)',
    classes: ['5'],
    text: SERVICE_UNAVAILABLE,
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  {
    name: 'mailbox rejected (text)',
    classes: ['5'],
    text: REJECTED,
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  {
    // OpenSMTPD's virtual-domain setup answers an unknown user `524 5.2.4 Mailing list expansion
    // problem` (its table lookup found no such user; RFC 3463 X.2.4 is about expansion).
    name: 'unknown user (OpenSMTPD 524 5.2.4)',
    classes: ['5'],
    codes: [524],
    enhanced: /^5\.2\.4$/,
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  {
    name: 'mailbox rejected (X.1.x, 5.2.1, 5.4.1)',
    classes: ['5'],
    enhanced: /^5\.(1\.(?![78]$)\d+|2\.1|4\.1)$/,
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  {
    name: 'security or policy (X.7.x)',
    classes: ['5'],
    enhanced: /^5\.7\.\d+$/,
    status: 'unknown',
    reason: 'blocked',
  },
  {
    // RFC 3463 X.3.x: the mail system's own condition (disk, configuration, service).
    name: 'mail system (X.3.x)',
    classes: ['5'],
    enhanced: /^5\.3\.\d+$/,
    status: 'unknown',
    reason: 'smtp_unavailable',
  },
  {
    name: 'mailbox unavailable (550/551/553)',
    classes: ['5'],
    codes: [550, 551, 553],
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  { name: 'storage (552)', classes: ['5'], codes: [552], status: 'risky', reason: 'mailbox_full' },
  { name: 'anything else', classes: ANY, status: 'unknown', reason: 'unexpected_error' },
];

function findRule(
  code: number,
  enhanced: string | null,
  text: string,
  address?: string,
): Rule | undefined {
  const cls = String(code)[0] as Class;
  const words = replyWords(text, address);
  return SMTP_REPLY_RULES.find(
    (r) =>
      r.classes.includes(cls) &&
      (!r.codes || r.codes.includes(code)) &&
      (!r.enhanced || (enhanced !== null && r.enhanced.test(enhanced))) &&
      (!r.text || r.text.test(words)),
  );
}

/**
 * Classifies a reply to RCPT TO. `enhanced` is e.g. `5.1.1`, or null; `text` the reply text;
 * `address`, when given, is the probed address, whose words are ignored (a mailbox named
 * "blocked.policy" is not a policy block).
 */
export function classifySmtpReply(
  code: number,
  enhanced: string | null,
  text: string,
  address?: string,
): SmtpClassification {
  const rule = findRule(code, enhanced, text, address);
  return {
    status: rule?.status ?? 'unknown',
    reason: rule?.reason ?? 'unexpected_error',
    temporary: String(code)[0] === '4',
  };
}

/** The name of the rule a reply matched (for logs and tests). */
export function matchingRule(
  code: number,
  enhanced: string | null,
  text: string,
  address?: string,
): string {
  return findRule(code, enhanced, text, address)?.name ?? 'none';
}
