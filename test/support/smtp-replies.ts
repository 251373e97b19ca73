/**
 * Real RCPT TO replies and the verdict each must get, from ../shared/smtp-replies.tsv, plus the
 * helper that splits a reply over several lines the way servers do.
 *
 * Usage:
 *   for (const row of loadSmtpReplies()) {
 *     const text = fillReply(row.message, 'bob@example.test');
 *     splitReply(row.code, text, 3)  // ['550-5.1.1 The email', '550-5.1.1 account that', '550 5.1.1 ...']
 *   }
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface SmtpReplyRow {
  /** 1-based line number in the file, for test names. */
  line: number;
  code: number;
  message: string;
  status: string;
  reasons: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The shared directory sits beside the checkout (`/work/shared` for `/work/main`). */
export const SMTP_REPLIES_TSV = path.resolve(here, '../../../shared/smtp-replies.tsv');

export function loadSmtpReplies(file: string = SMTP_REPLIES_TSV): SmtpReplyRow[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const rows: SmtpReplyRow[] = [];
  lines.forEach((raw, i) => {
    if (i === 0 || raw.trim() === '') return; // header
    const [code, message, status, reasons] = raw.split('\t');
    if (!code || message === undefined || !status || !reasons) {
      throw new Error(`${file}:${i + 1}: expected 4 tab-separated fields`);
    }
    rows.push({ line: i + 1, code: Number(code), message, status, reasons: reasons.split('|') });
  });
  return rows;
}

/** Substitutes {email}, {local} and {domain} with the probed address and its parts. */
export function fillReply(message: string, email: string): string {
  const at = email.lastIndexOf('@');
  return message
    .replaceAll('{email}', email)
    .replaceAll('{local}', email.slice(0, at))
    .replaceAll('{domain}', email.slice(at + 1));
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})\s+/;

/**
 * Splits one reply into `parts` lines at word boundaries, as Gmail, Exchange and Postfix do:
 * every line but the last has `code-`, the last `code `, and an enhanced status code at the
 * start of the text is repeated on every line (RFC 3463 / RFC 5321 4.2.1).
 */
export function splitReply(code: number, message: string, parts = 2): string[] {
  const m = ENHANCED.exec(message);
  const enhanced = m?.[1] ?? null;
  const text = m ? message.slice(m[0].length) : message;
  const words = text.split(' ');
  const n = Math.max(1, Math.min(parts, words.length));
  const per = Math.ceil(words.length / n);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += per) chunks.push(words.slice(i, i + per).join(' '));
  return chunks.map((chunk, i) => {
    const sep = i < chunks.length - 1 ? '-' : ' ';
    return `${code}${sep}${enhanced ? `${enhanced} ` : ''}${chunk}`;
  });
}
