/**
 * The RCPT reply classifier, on every row of ../shared/smtp-replies.tsv and on more real replies
 * of the same kinds (fixtures/smtp-replies-extra.tsv), each as one line and split over lines
 * the way servers send them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifySmtpReply, matchingRule } from '../../../src/validation/classify.ts';
import { parseReply } from '../../../src/validation/smtp-reply.ts';
import {
  fillReply,
  loadSmtpReplies,
  splitReply,
  type SmtpReplyRow,
} from '../../support/smtp-replies.ts';

const shared = loadSmtpReplies();
const extra = loadSmtpReplies(
  fileURLToPath(new URL('./fixtures/smtp-replies-extra.tsv', import.meta.url)),
);

// Addresses whose own words must not sway the verdict (a mailbox called "blocked.policy").
const ADDRESSES = ['jane.doe@example.com', 'blocked.policy@spam-example.org'];

function check(row: SmtpReplyRow, email: string, parts: number) {
  const reply = parseReply(splitReply(row.code, fillReply(row.message, email), parts));
  const verdict = classifySmtpReply(reply.code, reply.enhanced, reply.text, email);
  const why = `${row.code} ${row.message} -> rule "${matchingRule(reply.code, reply.enhanced, reply.text, email)}"`;
  expect(verdict.status, why).toBe(row.status);
  expect(row.reasons, why).toContain(verdict.reason);
  expect(verdict.temporary, why).toBe(row.code >= 400 && row.code < 500);
}

describe.each([
  ['shared/smtp-replies.tsv', shared],
  ['fixtures/smtp-replies-extra.tsv', extra],
])('classifySmtpReply on %s', (_file, rows) => {
  it.each(rows.map((r) => [r.line, r.code, r.message.slice(0, 70), r] as const))(
    'line %i: %i %s',
    (_line, _code, _text, row) => {
      for (const email of ADDRESSES) for (const parts of [1, 2, 3]) check(row, email, parts);
    },
  );
});

describe('classifySmtpReply rules', () => {
  it('classifies the shared rows the same without being told the address', () => {
    for (const row of shared) {
      const reply = parseReply(
        splitReply(row.code, fillReply(row.message, 'jane.doe@example.com'), 2),
      );
      expect(row.reasons).toContain(
        classifySmtpReply(reply.code, reply.enhanced, reply.text).reason,
      );
    }
  });

  it('never calls a blocklist refusal undeliverable, even with 550 and a URL holding "550"', () => {
    const r = classifySmtpReply(
      550,
      '5.7.1',
      'Blocked - see http://postmaster.example.com/550-bl23.html',
    );
    expect(r).toEqual({ status: 'unknown', reason: 'blocked', temporary: false });
  });

  it('does not decide on 5.7.1 alone: the text says whether the mailbox or the sender is refused', () => {
    expect(classifySmtpReply(550, '5.7.1', 'No such user here').status).toBe('undeliverable');
    expect(classifySmtpReply(550, '5.7.1', 'Relaying denied').reason).toBe('blocked');
    expect(classifySmtpReply(550, '5.7.1', 'Delivery not authorized').reason).toBe('blocked');
  });

  it('marks every 4xx temporary and never undeliverable', () => {
    for (const [code, enhanced, text] of [
      [450, '4.1.1', 'User unknown'],
      [451, null, 'Local error in processing'],
      [452, '4.2.2', 'Mailbox full'],
      [421, '4.7.0', 'Try again later'],
    ] as const) {
      const r = classifySmtpReply(code, enhanced, text);
      expect(r.temporary).toBe(true);
      expect(r.status).not.toBe('undeliverable');
    }
  });

  it('accepts 250 and 251, and falls back on the basic code when the text says nothing', () => {
    expect(classifySmtpReply(250, null, 'OK').status).toBe('deliverable');
    expect(classifySmtpReply(550, null, 'Rejected').reason).toBe('rejected_email');
    expect(classifySmtpReply(552, null, '').reason).toBe('mailbox_full');
    expect(classifySmtpReply(554, null, 'Transaction failed')).toEqual({
      status: 'unknown',
      reason: 'unexpected_error',
      temporary: false,
    });
  });
});
