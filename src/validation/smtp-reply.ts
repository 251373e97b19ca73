/**
 * SMTP replies (RFC 5321 4.2): `code-text` continuation lines and one final `code text` line,
 * with an optional RFC 3463 enhanced status code (RFC 2034) at the start of each line's text.
 */

export interface SmtpReply {
  code: number;
  /** `5.1.1`; from the text's start, or a qmail-style `(#5.1.1)`; null when absent. */
  enhanced: string | null;
  /** Every line's text, codes stripped, joined with single spaces. */
  text: string;
  /** The raw lines, as received. */
  lines: string[];
}

export class SmtpProtocolError extends Error {
  override name = 'SmtpProtocolError';
}

// Lenient about a missing separator (`250OK`): some appliances send it; it ends the reply.
const LINE = /^([2-5]\d\d)([ -]?)(.*)$/;
const ENHANCED_START = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;
const ENHANCED_ANYWHERE = /\(#([245]\.\d{1,3}\.\d{1,3})\)/;

// A server may not make us hold unbounded text: a reply past these is a protocol error.
export const MAX_LINE_LENGTH = 4096;
const MAX_LINES = 200;

/** Collects lines until a reply is complete. */
export class ReplyAssembler {
  private lines: string[] = [];

  /** Returns the reply when `line` completes one, else null; throws on a malformed line. */
  push(line: string): SmtpReply | null {
    if (line.length > MAX_LINE_LENGTH) throw new SmtpProtocolError('reply line too long');
    const m = LINE.exec(line);
    if (!m) throw new SmtpProtocolError(`malformed reply line: ${line.slice(0, 80)}`);
    const code = m[1] as string;
    if (this.lines.length > 0 && !this.lines[0]?.startsWith(code)) {
      throw new SmtpProtocolError('reply code changed within a multi-line reply');
    }
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) throw new SmtpProtocolError('reply has too many lines');
    if (m[2] === '-') return null;
    const reply = parseReply(this.lines);
    this.lines = [];
    return reply;
  }
}

/** Parses the complete lines of one reply. */
export function parseReply(lines: string[]): SmtpReply {
  const code = Number(lines[0]?.slice(0, 3));
  const cls = String(code)[0];
  let enhanced: string | null = null;
  const texts: string[] = [];
  for (const line of lines) {
    let text = line.slice(line[3] === ' ' || line[3] === '-' ? 4 : 3);
    const m = ENHANCED_START.exec(text);
    // RFC 3463 2: the enhanced code's class must agree with the reply code's first digit.
    if (m && m[1] === cls) {
      enhanced ??= `${m[1]}.${m[2]}.${m[3]}`;
      text = text.slice(m[0].length);
    }
    texts.push(text.trim());
  }
  const text = texts.filter(Boolean).join(' ').replace(/\s+/g, ' ');
  if (enhanced === null) {
    const q = ENHANCED_ANYWHERE.exec(text);
    if (q?.[1] && q[1][0] === cls) enhanced = q[1];
  }
  return { code, enhanced, text, lines: [...lines] };
}

/** Splits `250-` EHLO reply lines into upper-case keywords (`STARTTLS`, `SIZE 1000`...). */
export function ehloKeywords(reply: SmtpReply): Set<string> {
  const set = new Set<string>();
  reply.lines.slice(1).forEach((l) => {
    const kw = l.slice(4).trim().split(/\s+/)[0];
    if (kw) set.add(kw.toUpperCase());
  });
  return set;
}
