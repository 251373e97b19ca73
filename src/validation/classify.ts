import type { VerdictReason, VerdictStatus } from './types.ts';

/**
 * What a reply to RCPT TO says about the mailbox, as data: an ordered table of rules (reply
 * class, enhanced status code, text pattern), first match wins. The order carries the policy:
 *
 *  1. 2xx: accepted.
 *  2. Mailbox full / over quota, in any class: risky/mailbox_full (RFC 3463 X.2.2).
 *  3. 4xx greylisting / "try later": unknown/greylisted, temporary.
 *  4. Refusals of *us* (blocklists, reputation, reverse DNS, relay, spam policy, our HELO or
 *     MAIL FROM): unknown/blocked, in any class. Checked before the user-unknown rules because a
 *     block says nothing about the mailbox, even when sent with 550 or 5.1.1.
 *  5. Any other 4xx: unknown/greylisted, temporary (the job retries it later).
 *  6. 5xx naming the mailbox (unknown, disabled, no such user...): undeliverable/rejected_email.
 *  7. 5xx by enhanced code alone: X.1.x / 5.2.1 / 5.4.1 rejected, X.7.x blocked.
 *  8. 5xx by basic code alone: 550 / 551 / 553 rejected (RFC 5321 4.2.2), 552 mailbox_full.
 *  9. Anything else: unknown/unexpected_error.
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

// --- text patterns -------------------------------------------------------------------------

const MAILBOX_FULL =
  /over ?quota|quota (exceeded|full)|exceeded (its |the )?(storage|quota)|(mailbox|inbox|mail ?box|account|storage)( is)? (full|over)|insufficient (system )?storage|out of (storage|space)|mailbox size limit|(user|mailbox|account|recipient) has too many messages|too many messages (on|in) (the )?(server|mailbox)|storage (limit|allocation|quota)|disk quota/;

const GREYLIST =
  /gr[ae]y ?list|try (again )?later|retry (again )?later|please retry|temporar(il)?y (deferred|rejected|unavailable|blocked)|deferred|come back later|resources temporarily/;

const BLOCKED = new RegExp(
  [
    // blocklist operators and reputation services
    'spamhaus',
    'barracuda',
    'abusix',
    'proofpoint',
    'spamcop',
    'sorbs',
    'uceprotect',
    'senderbase',
    'sbrs',
    'spamrats',
    'mailspike',
    'surbl',
    'invaluement',
    'cloudmark',
    'trend ?micro',
    'mimecast.*(policy|blocked|envelope)',
    'symantec',
    'messagelabs',
    'ironport',
    '\\bdnsbl\\b',
    '\\brbl\\b',
    '\\bbl\\d+\\b',
    // block and deny lists
    'block ?list',
    'black ?list',
    'deny ?list',
    '\\bblocked\\b',
    'is listed (on|at|in|by)',
    'listed (on|at|in|by) (the )?\\S*\\.(org|net|zone|com)',
    // reputation and spam policy
    'reputation',
    'score too low',
    'poor reputation',
    'unsolicited',
    '\\bspam\\b',
    'bulk mail',
    '\\bpolicy\\b',
    'policies',
    'administratively denied',
    'administrative prohibition',
    'not authori[sz]ed to send',
    // our address, name or identity
    'banned sending ip',
    'sending ip',
    'your ip',
    'your (mail )?server',
    'your (network|location|host|domain)',
    'client host',
    'reverse (dns|hostname|lookup|address)',
    'cannot find your (reverse )?hostname',
    '\\bptr\\b',
    'rdns',
    'helo( command)? rejected',
    'invalid helo',
    'sender (address )?rejected',
    'sender verif',
    'verification failed for <',
    '\\bspf\\b',
    '\\bdkim\\b',
    '\\bdmarc\\b',
    'unauthenticated',
    'rate limit',
    'too many (connections|messages from)',
    'mail from \\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}',
    'connections will not be accepted',
    'access denied, banned',
    'service unavailable[;,] client host',
    // relaying
    'relay(ing)? (access )?(denied|not permitted|not allowed|prohibited)',
    'unable to relay',
    'not permitted to relay',
    'relay not permitted',
    'must check for new mail first',
    'check for new mail before sending',
    'authentication required',
  ].join('|'),
);

const REJECTED = new RegExp(
  [
    'user unknown',
    'unknown user',
    'unknown recipient',
    'recipient unknown',
    'unknown (local )?(mailbox|address)',
    'no such (user|person|mailbox|recipient|account|address)',
    'user (not found|doesn.?t exist|does not exist|not exist)',
    '(mailbox|recipient|address|account|user|e-?mail( address)?)( \\S+)? (not found|unknown|unavailable|does not exist|doesn.?t exist|not valid|is not valid|invalid|disabled|inactive|deactivated|suspended|closed|expired|discontinued|no longer)',
    'invalid (recipient|address|mailbox|user|e-?mail)',
    'not a valid (mailbox|address|recipient|user|e-?mail)',
    'is not a valid',
    'recipient (rejected|not found|address rejected|invalid)',
    'address rejected',
    'unrout(e)?able',
    'not handled by this system',
    'no mailbox',
    'mailbox not found',
    'mailbox unavailable',
    'doesn.?t have a \\S+ account',
    'account (has been |is )?(disabled|deactivated|discontinued|suspended|closed|inactive|terminated|locked)',
    'no longer (available|active|exists|in use|valid)',
    'recipientnotfound',
    'bad destination',
    'does not exist',
    'not our customer',
    'not listed in',
    'no account',
    'invalid address',
    'rejected: user',
    'addressee unknown',
  ].join('|'),
);

// --- the table -----------------------------------------------------------------------------

export const SMTP_REPLY_RULES: readonly Rule[] = [
  { name: 'accepted', classes: ['2'], status: 'deliverable', reason: 'accepted_email' },
  {
    name: 'mailbox full (text)',
    classes: ['4', '5'],
    text: MAILBOX_FULL,
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
  { name: 'greylisted', classes: ['4'], text: GREYLIST, status: 'unknown', reason: 'greylisted' },
  { name: 'blocked', classes: ['4', '5'], text: BLOCKED, status: 'unknown', reason: 'blocked' },
  { name: 'temporary', classes: ['4'], status: 'unknown', reason: 'greylisted' },
  {
    name: 'mailbox rejected (text)',
    classes: ['5'],
    text: REJECTED,
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  {
    name: 'mailbox rejected (X.1.x, 5.2.1, 5.4.1)',
    classes: ['5'],
    enhanced: /^5\.(1\.\d+|2\.1|4\.1)$/,
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
    name: 'mailbox unavailable (550/551/553)',
    classes: ['5'],
    codes: [550, 551, 553],
    status: 'undeliverable',
    reason: 'rejected_email',
  },
  { name: 'storage (552)', classes: ['5'], codes: [552], status: 'risky', reason: 'mailbox_full' },
  { name: 'anything else', classes: ANY, status: 'unknown', reason: 'unexpected_error' },
];

// The probed address, anything in angle brackets and URLs are not the server's words about the
// mailbox: "<policy@x.test>" or ".../postmaster-policy" must not read as a policy block.
function wordsOf(text: string, address?: string): string {
  let t = text.toLowerCase();
  if (address) {
    const a = address.toLowerCase();
    const local = a.slice(0, a.lastIndexOf('@'));
    t = t.split(a).join(' ');
    if (local.length >= 3) t = t.split(local).join(' ');
  }
  return t
    .replace(/<[^>]*>/g, ' ')
    .replace(/\b(https?:\/\/|www\.)\S+/g, ' ')
    .replace(/\S+@\S+/g, ' ')
    .replace(/\s+/g, ' ');
}

function findRule(
  code: number,
  enhanced: string | null,
  text: string,
  address?: string,
): Rule | undefined {
  const cls = String(code)[0] as Class;
  const words = wordsOf(text, address);
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
