import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import type { ParsedAddress } from './types.ts';

/**
 * Address syntax as mail systems apply it to the SMTP envelope (RFC 5321 4.1.2, with the
 * RFC 6531 UTF-8 extensions), not the looser RFC 5322 message-header grammar: no comments, no
 * folding white space, no obsolete forms. Hand-written over char codes because the engine parses
 * every address of a million-row file (target: >= 300,000 addresses/s with the list checks).
 */

const INVALID: ParsedAddress = Object.freeze({
  valid: false,
  normalized: null,
  local: null,
  domain: null,
});

// RFC 5322 3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"
const ATEXT = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~") {
  ATEXT[c.charCodeAt(0)] = 1;
}

// Characters no mailbox name may carry even where RFC 6531 allows UTF-8: separators, controls,
// format characters (zero-width, bidi overrides), surrogates, private use and unassigned code
// points; and a combining mark cannot start a part (it would attach to the quote or dot).
const UNSAFE_UNICODE = /(?!\p{ASCII})[\p{Z}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]|^"?\p{M}|\.\p{M}/u;
// Non-ASCII domain input must be letters, marks and decimal digits (plus the full-width dot and
// hyphen forms UTS #46 maps to ASCII); symbols such as "©" or "⒈" are never in a host name.
const IDN_INPUT = /^[\p{L}\p{M}\p{Nd}.\-\u3002\uFF0E\uFF61\uFF0D]+$/u;

/** Parses and normalises one address; never throws. */
export function parseAddress(input: string): ParsedAddress {
  if (typeof input !== 'string') return INVALID; // callers from JSON may pass anything
  // The common address (ASCII dot-atom, plain LDH domain) in one pass; the rest in full.
  const at = plainAddressAt(input);
  return at > 0 ? plainParsed(input, at) : parseAddressInFull(input);
}

/**
 * parseAddress's answer for an input plainAddressAt vouched for (its "@" at `at`): the domain
 * lower-cased, and the input itself as the normalised form when it already is.
 */
function plainParsed(input: string, at: number): ParsedAddress {
  const local = input.slice(0, at);
  const raw = input.slice(at + 1);
  const domain = raw.toLowerCase();
  return {
    valid: true,
    normalized: domain === raw ? input : `${local}@${domain}`,
    local,
    domain,
    domainLiteral: false,
    smtpUtf8: false,
  };
}

/**
 * parseAddress without its one-pass shortcut: every rule, for every input. Exported so that a
 * test holds the shortcut to it (test/unit/validation/plain-address.test.ts).
 */
export function parseAddressInFull(input: string): ParsedAddress {
  if (typeof input !== 'string') return INVALID;
  const s = input.trim();
  const len = s.length;
  if (len < 3 || len > 512) return INVALID;

  let at: number;
  let nonAscii = false;
  if (s.charCodeAt(0) === 34 /* " */) {
    at = scanQuoted(s);
    if (at < 0) return INVALID;
    for (let i = 0; i < at; i++) if (s.charCodeAt(i) > 127) nonAscii = true;
  } else {
    at = s.lastIndexOf('@');
    if (at < 1) return INVALID;
    const r = scanDotAtom(s, at);
    if (r < 0) return INVALID;
    nonAscii = r === 1;
  }
  if (at >= len - 1) return INVALID;

  const local = s.slice(0, at);
  if (nonAscii && UNSAFE_UNICODE.test(local)) return INVALID;
  // RFC 5321 4.5.3.1.1: local part <= 64 octets (UTF-8 octets under RFC 6531).
  const localOctets = nonAscii ? Buffer.byteLength(local, 'utf8') : local.length;
  if (localOctets > 64) return INVALID;

  const rawDomain = s.slice(at + 1);
  if (rawDomain.charCodeAt(0) === 91 /* [ */) {
    const literal = parseAddressLiteral(rawDomain);
    if (literal === null) return INVALID;
    return finish(local, localOctets, literal, true);
  }
  const domain = normaliseDomain(rawDomain);
  if (domain === null) return INVALID;
  return finish(local, localOctets, domain, false);
}

/**
 * parseAddress's common case in one pass, allocating nothing: when `input` is an address of
 * ASCII dot-atom local part and plain LDH domain (no IDN, no literal, no surrounding space) that
 * parseAddress finds valid, the index of its "@" (its normalised form is then `input` with the
 * domain lower-cased); else -1, and parseAddress decides. For counting a million rows before a
 * 201 (domain/jobs/job-input.ts); test/unit/validation/plain-address.test.ts holds it to
 * parseAddress.
 */
export function plainAddressAt(input: string): number {
  const len = input.length;
  if (len < 3 || len > 254) return -1;
  let at = -1;
  let prevDot = true; // a dot may not start the local part
  for (let i = 0; i < len; i++) {
    const c = input.charCodeAt(i);
    if (c === 64 /* @ */) {
      at = i;
      break;
    }
    if (c === 46 /* . */) {
      if (prevDot) return -1;
      prevDot = true;
    } else if (c < 128 && ATEXT[c] === 1) prevDot = false;
    else return -1;
  }
  // RFC 5321 4.5.3.1.1: local part <= 64 octets.
  if (at < 1 || at > 64 || prevDot) return -1;
  // RFC 1035 2.3.1 LDH labels of 1-63, no hyphen at either end; "--" (IDNA prefixes) is left to
  // parseAddress; at least two labels; a TLD of letters only, two or more.
  let labelStart = at + 1;
  let letters = true; // the current label is letters only
  let prev = 46;
  for (let i = at + 1; i <= len; i++) {
    const c = i < len ? input.charCodeAt(i) : 46;
    if (c === 46) {
      const size = i - labelStart;
      if (size < 1 || size > 63 || prev === 45) return -1;
      if (i < len) letters = true;
      labelStart = i + 1;
    } else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
      // a letter
    } else if ((c >= 48 && c <= 57) || c === 45) {
      if (c === 45 && (prev === 46 || prev === 45)) return -1;
      letters = false;
    } else return -1;
    prev = c;
  }
  const tld = len - (input.lastIndexOf('.') + 1);
  if (input.lastIndexOf('.') < at || !letters || tld < 2) return -1;
  return at;
}

function finish(
  local: string,
  localOctets: number,
  domain: string,
  domainLiteral: boolean,
): ParsedAddress {
  // RFC 5321 4.5.3.1.3: a path is <= 256 octets including the angle brackets, so the
  // address is <= 254 (RFC 3696 erratum 1690).
  if (localOctets + 1 + domain.length > 254) return INVALID;
  return {
    valid: true,
    normalized: `${local}@${domain}`,
    local,
    domain,
    domainLiteral,
    smtpUtf8: localOctets !== local.length,
  };
}

/**
 * RFC 5321 4.1.2 Dot-string, with RFC 6531 UTF8-non-ascii allowed in atoms. Returns -1 when
 * invalid, 1 when it holds non-ASCII characters, else 0.
 */
function scanDotAtom(s: string, end: number): number {
  let prevDot = true; // a dot may not start the local part
  let nonAscii = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (prevDot) return -1;
      prevDot = true;
      continue;
    }
    prevDot = false;
    if (c < 128) {
      if (ATEXT[c] !== 1) return -1;
    } else {
      nonAscii = 1;
    }
  }
  return prevDot ? -1 : nonAscii;
}

/**
 * RFC 5321 4.1.2 Quoted-string: qtextSMTP = %d32-33 / %d35-91 / %d93-126, quoted-pairSMTP =
 * "\" %d32-126 (RFC 6531 adds UTF8-non-ascii to qtext, not to quoted pairs). Returns the index
 * of the "@" after the closing quote, or -1.
 */
function scanQuoted(s: string): number {
  const len = s.length;
  let i = 1;
  let content = 0;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      const n = s.charCodeAt(i + 1);
      if (!(n >= 32 && n <= 126)) return -1;
      i += 2;
      content++;
      continue;
    }
    if (c === 34 /* " */) break;
    if (c < 32 || c === 127) return -1;
    i++;
    content++;
  }
  if (i >= len || content === 0) return -1; // unclosed, or "" (no mailbox is named by nothing)
  return s.charCodeAt(i + 1) === 64 /* @ */ ? i + 1 : -1;
}

/** Lower-case ASCII (A-labels for IDNs), or null when the name is not a mail domain. */
function normaliseDomain(raw: string): string | null {
  let ascii = true;
  let upper = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 127) {
      ascii = false;
      break;
    }
    if (c >= 65 && c <= 90) upper = true;
  }
  let domain: string;
  if (ascii) {
    domain = upper ? raw.toLowerCase() : raw;
    // Existing A-labels must decode: let the WHATWG/UTS #46 mapper check them.
    if (domain.includes('xn--')) domain = domainToASCII(domain);
  } else {
    if (!IDN_INPUT.test(raw)) return null;
    domain = domainToASCII(raw); // UTS #46 mapping + Punycode (RFC 3492); '' when invalid
  }
  return domain !== '' && checkHostname(domain) ? domain : null;
}

/** RFC 1035 2.3.1 / RFC 5890 LDH labels, at least two of them, a real-looking TLD. */
function checkHostname(d: string): boolean {
  const len = d.length;
  if (len > 253) return false;
  let labelStart = 0;
  let labels = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? d.charCodeAt(i) : 46;
    if (c === 46) {
      const size = i - labelStart;
      if (size < 1 || size > 63) return false;
      if (d.charCodeAt(labelStart) === 45 || d.charCodeAt(i - 1) === 45) return false;
      // RFC 5891 4.2.3.1: "??--" is reserved for IDNA prefixes; only xn-- exists.
      if (size >= 4 && d.charCodeAt(labelStart + 2) === 45 && d.charCodeAt(labelStart + 3) === 45) {
        if (d.charCodeAt(labelStart) !== 120 || d.charCodeAt(labelStart + 1) !== 110) return false;
      }
      labels++;
      labelStart = i + 1;
      continue;
    }
    const isLdh = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45;
    if (!isLdh) return false;
  }
  if (labels < 2) return false; // dotless names are not routable on the public Internet (RFC 7085)
  return isTld(d.slice(d.lastIndexOf('.') + 1));
}

/** Every TLD in the root zone is letters only, or an IDN A-label. */
function isTld(tld: string): boolean {
  if (tld.startsWith('xn--')) return tld.length > 4;
  if (tld.length < 2) return false;
  for (let i = 0; i < tld.length; i++) {
    const c = tld.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** RFC 5321 4.1.3 address literals: [IPv4] or [IPv6:...]; the general form is not accepted. */
function parseAddressLiteral(raw: string): string | null {
  if (raw.charCodeAt(raw.length - 1) !== 93 /* ] */) return null;
  const inner = raw.slice(1, -1);
  if (isIPv4(inner)) return `[${inner}]`;
  if (inner.length > 5 && inner.slice(0, 5).toLowerCase() === 'ipv6:') {
    const ip = inner.slice(5);
    if (!ip.includes('%') && isIPv6(ip)) return `[IPv6:${ip.toLowerCase()}]`;
  }
  return null;
}
