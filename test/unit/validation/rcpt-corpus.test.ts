/**
 * The reply classifier on a corpus of real RCPT TO replies gathered from public sources
 * (fixtures/rcpt-replies.tsv: provider postmaster pages, MTA sources and documentation, gateway
 * code lists; every row names its source). Each row is classified as one line and split over 2
 * and 3 lines, for two probed addresses, and must get its status and one of its reasons.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifySmtpReply, matchingRule } from '../../../src/validation/classify.ts';
import { parseReply } from '../../../src/validation/smtp-reply.ts';
import { fillReply, loadSmtpReplies, splitReply } from '../../support/smtp-replies.ts';

const FILE = fileURLToPath(new URL('./fixtures/rcpt-replies.tsv', import.meta.url));
const rows = loadSmtpReplies(FILE);
const sources = readFileSync(FILE, 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter((l) => l.trim() !== '')
  .map((l) => l.split('\t')[4] ?? '');
const ADDRESSES = ['jane.doe@example.com', 'blocked.policy@spam-example.org'];
const STATUSES = ['deliverable', 'undeliverable', 'risky', 'unknown'];

describe('the RCPT reply corpus', () => {
  it('holds at least 300 replies, each with its source and a verdict of API.md', () => {
    expect(rows.length).toBeGreaterThanOrEqual(300);
    expect(sources).toHaveLength(rows.length);
    for (const [i, source] of sources.entries()) expect(source.trim(), `row ${i + 2}`).not.toBe('');
    for (const row of rows) {
      expect(STATUSES, `line ${row.line}`).toContain(row.status);
      // 4xx is never a final refusal of the mailbox (RFC 5321 4.2.1).
      if (row.code < 500) expect(row.status, `line ${row.line}`).not.toBe('undeliverable');
    }
  });
});

describe('classifySmtpReply on fixtures/rcpt-replies.tsv', () => {
  it.each(rows.map((r) => [r.line, r.code, r.message.slice(0, 70), r] as const))(
    'line %i: %i %s',
    (_line, _code, _text, row) => {
      for (const email of ADDRESSES)
        for (const parts of [1, 2, 3]) {
          const reply = parseReply(splitReply(row.code, fillReply(row.message, email), parts));
          const v = classifySmtpReply(reply.code, reply.enhanced, reply.text, email);
          const why = `${row.code} ${row.message} -> rule "${matchingRule(reply.code, reply.enhanced, reply.text, email)}"`;
          expect(v.status, why).toBe(row.status);
          expect(row.reasons, why).toContain(v.reason);
          expect(v.temporary, why).toBe(row.code >= 400 && row.code < 500);
        }
    },
  );
});
