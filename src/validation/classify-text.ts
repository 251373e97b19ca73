/**
 * The words of an SMTP reply as the classifier (classify.ts) reads them, and the text patterns
 * its rules match. Patterns are matched on `replyWords()`: lower case, one line.
 */

export const MAILBOX_FULL =
  /over ?quota|quota (exceeded|full)|exceeded (its |the )?(storage|quota)|(mailbox|inbox|mail ?box|account|storage)( is)? (full|over)|mailbox size limit|(user|mailbox|account|recipient) has too many messages|too many messages (on|in) (the )?(server|mailbox)|storage (limit|allocation|quota)|disk quota/;

// RFC 5321 4.2.3: "452 Insufficient system storage" is the server's own disk. Storage wording
// says "mailbox full" only when the mailbox, the user or a quota is named with it.
export const STORAGE_OF_MAILBOX =
  /^(?=.*\b(mailbox|mail box|inbox|user|recipient|account|addressee|quota)\b).*(insufficient (system )?storage|out of (storage|disk )?space|out of storage)/;

// RFC 5321 4.5.3.1.10: the recipients limit of one transaction, whatever the code.
// Microsoft's "452 4.5.3 Recipients belong to multiple regions" is the same limit: one
// transaction cannot hold recipients of two regions, a new one can.
export const TOO_MANY_RECIPIENTS =
  /too many (recipients|rcpts?)\b|recipients belong to multiple regions/;

// The session's error count (Postfix smtpd_hard_error_limit: `421 4.7.0 Error: too many errors`;
// Exim's "too many unknown commands" / "too many syntax or protocol errors"), not the mailbox.
export const TOO_MANY_ERRORS =
  /too many (errors|(unknown|failed|invalid|bad) (commands|recipients|rcpts?)|syntax or protocol errors)\b/;

// The server refuses service as a whole (Postfix postscreen, RFC 5321 554 / 421 texts).
export const SERVICE_UNAVAILABLE =
  /service (is )?(currently |temporarily )?(unavailable|not available)|no smtp service|not accepting (connections|mail|messages)/;

// The recipient is receiving more mail than it may: the mailbox exists (Gmail's "receiving mail
// at a rate that prevents additional messages", Microsoft's 5.2.122, Yahoo's "receiving mail too
// quickly", iCloud's "messages to <x> deferred due to excessive volume"). Never about us: a
// sender's limit names the sender ("the sender has exceeded...").
export const RECEIVING_TOO_MUCH = new RegExp(
  [
    'receiving mail (at a rate|too quickly|very quickly|too fast)',
    '(recipient|user|mailbox|addressee) (has )?exceeded (their |its |the )?(message rate|rate limit|limit for the number of messages)',
    'exceeded their limit for the number of messages they can receive',
    'too many recent messages',
    '\\bmessages to (<> )?deferred due to (excessive|unexpected) volume',
  ].join('|'),
);

// A mailbox that exists no more or is shut: disabled, suspended, inactive, archived, blocked
// (the mailbox is; not "mail from you is blocked"). Checked before the refusals of us, whose
// "blocked" would otherwise win (free.fr: "This mailbox has been blocked due to inactivity").
export const MAILBOX_SHUT = new RegExp(
  [
    '\\b(mailbox|account|inbox|recipient account|user account)( has been| is| was| is now)? ?(blocked|locked|frozen|suspended|disabled|deactivated|inactive|archived|terminated|closed|discontinued)\\b',
    'due to inactivity',
    'inactive (email )?(address|account|mailbox|user)',
    // La Poste / Orange: "Boite du destinataire archivee", "Le compte du destinataire est bloque"
    'destinataire (est )?(archivee|bloque|inactif|desactive)',
  ].join('|'),
);

// X.5.3 as a 4xx, or said in words: one transaction's limit, not the mailbox (probe.ts opens a
// new session); Google's "try this recipient in a separate transaction".
export const SEPARATE_TRANSACTION = /separate transaction|per transaction exceeded/;

// A provider slowing senders down (pacing.ts): rate, volume, load.
export const THROTTLING =
  /rate limit|rate-limit|throttl|too many (connections|messages|recent|concurrent)|(unexpected|excessive|unusual) (volume|rate)|server busy|agent busy|deferred due to|user complaints|slow down|exceeded .*limit/;

export const GREYLIST =
  /gr[ae]y ?list|try (again )?later|retry (again )?later|please retry|temporar(il)?y (deferred|rejected|unavailable|blocked)|deferred|come back later|resources temporarily/;

export const BLOCKED = new RegExp(
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
    '\\bdnsbls?\\b',
    '\\brbls?\\b',
    '\\bbl\\d+\\b',
    // block and deny lists
    'block ?list',
    'black ?list',
    'deny ?list',
    '\\bblocked\\b',
    // a noun too: Trend Micro's "ERS-Customized-Block", "a block has been placed against your IP"
    '\\bblock\\b',
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
    'rejected by (the )?recipients?\\b',
    'delivery (is )?not (allowed|authori[sz]ed|permitted)',
    '\\bsender (has )?exceeded',
    '\\bsender frequency',
    'resource record',
    '(from|by) this ip',
    // T-Online: "554 IP=203.0.113.9 - A problem occurred"
    '\\bip ?[=:] ?\\[?\\d{1,3}(\\.\\d{1,3}){3}',
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
    'bad (outbound )?sender',
    'invalid helo',
    'sender (address )?rejected',
    'sender verif',
    // "<…>" other than the probed address is kept as "<>" (see replyWords): Exim's sender callout
    'verification failed for <>',
    '\\bspf\\b',
    '\\bdkim\\b',
    '\\bdmarc\\b',
    'unauthenticated',
    'rate limit',
    'too many (connections|messages from)',
    // "messages from 1.2.3.4 weren't sent", "connections from [1.2.3.4]": our IP, not the mailbox
    '(messages?|e?-?mails?|connections?|traffic) from \\[?(\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7})',
    'connections will not be accepted',
    'access denied, banned',
    'service unavailable[;,] client host',
    // relaying (not "user unknown in relay recipient table": that is Postfix's user unknown)
    'relay(ing)?( access| of mail| mail)?( is| was)? (denied|disallowed|prohibited|refused|forbidden|not (permitted|allowed|authori[sz]ed))',
    "(\\bnot|n['’]t|\\bunable to|\\bcannot) (be )?((permitted|allowed|authori[sz]ed) to )?relay\\b",
    '\\bno relay(ing)?\\b',
    'rcpthosts',
    'must check for new mail first',
    'check for new mail before sending',
    'authentication (is )?required',
  ].join('|'),
);

export const REJECTED = new RegExp(
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
    'doesn.?t have an? (\\S+ )?account',
    // ImprovMX, Trend Micro: the recipient's domain is not served here ("not local")
    'domain not found',
    '\\bno-domain\\b',
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
    // qmail's validrcptto patch, "recipient not in the valid recipients list / table"
    'validrcptto',
    '(recipient|address|user|mailbox) (is )?not (in|on) (my|the|our) (\\S+ )?(list|table|directory)',
  ].join('|'),
);

// RFC 5322 3.2.3 atext, less the apostrophe (servers quote names with it), plus "." (a dot-atom's
// separator): what may surround a token that is part of a longer name ("admin" in
// "administrative" is not the local part "admin").
const ATEXT = 'a-z0-9!#$%&*+/=?^_`{|}~\\-';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `word` where it stands as a whole token, not inside a longer one. */
function token(word: string): RegExp {
  return new RegExp(`(?<![${ATEXT}.])${escape(word)}(?![${ATEXT}])`, 'g');
}

/** `domain` and any host name under it, as whole names. */
function hostsOf(domain: string): RegExp {
  return new RegExp(`(?<![a-z0-9-])(?:[a-z0-9-]+\\.)*${escape(domain)}(?![a-z0-9-])`, 'g');
}

/**
 * A local part that is a plain word (admin, spam, policy, host, user) is also the server's
 * vocabulary: it is taken out only where it is echoed as the mailbox's name: Sendmail's
 * "admin... User unknown", Domino's "Recipient admin not listed", or quoted / bracketed.
 */
function echoed(local: string): RegExp {
  const w = escape(local);
  return new RegExp(
    `(?<![${ATEXT}.])${w}(?=\\.\\.\\.)|(?<=['"(\\[]|recipient )${w}(?![${ATEXT}])`,
    'g',
  );
}

/**
 * The reply's own words: lower-cased, without the probed address or its local part (a mailbox
 * named "blocked.policy" is not a policy block), other "<…>" emptied to "<>" (Exim's
 * "verification failed for <our sender>" stays recognisable), URLs cut to their host (a
 * blocklist may be named only by its URL; the digits of a path, like "550-bl23.html", must never
 * decide) and other addresses removed.
 */
export function replyWords(text: string, address?: string): string {
  let t = text.toLowerCase();
  if (address) {
    const a = address.toLowerCase();
    const local = a.slice(0, a.lastIndexOf('@'));
    const domain = a.slice(a.lastIndexOf('@') + 1);
    t = t.split(`<${a}>`).join(' ').replace(token(a), ' ');
    if (local) t = t.replace(/^[a-z]+$/.test(local) ? echoed(local) : token(local), ' ');
    // The recipient's domain and its hosts ("host mail.spam-example.org[192.0.2.10] said") are
    // the address's words too, never the server's.
    if (domain.includes('.')) t = t.replace(hostsOf(domain), ' ');
  }
  return t
    .replace(/<[^>]*>/g, '<>')
    .replace(/\b(?:https?|ftp):\/\/(?:[^\s/?#@]*@)?([^\s/?#:]+)\S*/g, ' $1 ')
    .replace(/\b(www\.[^\s/?#:]+)\S*/g, ' $1 ')
    .replace(/\b((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?[/?#]\S*/g, ' $1 ')
    .replace(/\S+@\S+/g, ' ')
    .replace(/\s+/g, ' ');
}
