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

// Local parts that are also words of the servers' replies: only the address's echo is ignored.
describe.each([
  ['admin', 550, 'Administrative prohibition', 'unknown', 'blocked'],
  ['admin', 550, '5.1.1 {local}... User unknown', 'undeliverable', 'rejected_email'],
  [
    'host',
    450,
    '4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.9]',
    'unknown',
    'blocked',
  ],
  ['spam', 550, '5.7.1 Message rejected as spam by Content Filtering.', 'unknown', 'blocked'],
  [
    'spam',
    550,
    'Recipient {local} not listed in public Name & Address Book',
    'undeliverable',
    'rejected_email',
  ],
  ['policy', 550, 'Message rejected due to local policy', 'unknown', 'blocked'],
  ['policy', 554, '5.7.1 [CS01] Message rejected due to local policy.', 'unknown', 'blocked'],
  [
    'policy',
    550,
    '5.1.1 <{email}>: Recipient address rejected: User unknown in local recipient table',
    'undeliverable',
    'rejected_email',
  ],
  [
    'reputation',
    554,
    "Your access to this mail system has been rejected due to the sending MTA's poor reputation.",
    'unknown',
    'blocked',
  ],
  ['user', 550, '5.7.1 No such user!', 'undeliverable', 'rejected_email'],
  ['blocked', 550, 'No such user ({email})', 'undeliverable', 'rejected_email'],
  ['relay', 550, "5.1.1 '{local}' User unknown", 'undeliverable', 'rejected_email'],
] as const)('classifySmtpReply for %s@example.com', (local, code, message, status, reason) => {
  it(`${code} ${message.slice(0, 60)} -> ${status} / ${reason}`, () => {
    const row: SmtpReplyRow = { line: 0, code, message, status, reasons: [reason] };
    for (const parts of [1, 2, 3]) check(row, `${local}@example.com`, parts);
  });
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

  it('keeps the host of a URL (a blocklist named only by its URL) but never lets its path decide', () => {
    expect(
      classifySmtpReply(553, null, 'https://www.spamhaus.org/query/ip/203.0.113.9'),
    ).toMatchObject({ status: 'unknown', reason: 'blocked' });
    expect(
      classifySmtpReply(550, null, 'Recipient not found: see https://help.example.net/550/blocked'),
    ).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    expect(classifySmtpReply(554, null, 'See http://mx.example.net:8080/550-user-unknown')).toEqual(
      { status: 'unknown', reason: 'unexpected_error', temporary: false },
    );
  });

  it('reads "<sender>" after "verification failed for" as our sender, not the probed mailbox', () => {
    expect(
      classifySmtpReply(550, null, 'Verification failed for <verify@probe.example>').reason,
    ).toBe('blocked');
    // the probed address itself in the brackets is the recipient: nothing about us
    expect(
      classifySmtpReply(
        550,
        null,
        'Verification failed for <jane@example.com> Unrouteable address',
        'jane@example.com',
      ).reason,
    ).toBe('rejected_email');
  });

  it("never calls a relay refusal rejected_email, nor Postfix's relay recipient table a block", () => {
    for (const text of [
      'Relaying disallowed as <verify@probe.example>',
      'Relaying is prohibited',
      'We do not relay non-local mail',
      'Relay not permitted',
      "Sorry, we don't relay for [203.0.113.9]",
    ])
      expect(classifySmtpReply(550, null, text).reason, text).toBe('blocked');
    expect(
      classifySmtpReply(
        550,
        '5.1.1',
        '<jane@example.com>: Recipient address rejected: User unknown in relay recipient table',
      ).reason,
    ).toBe('rejected_email');
  });

  it('treats a refusal of service and X.3.x mail-system codes as the server, not the mailbox', () => {
    expect(classifySmtpReply(550, '5.3.2', 'Service currently unavailable')).toEqual({
      status: 'unknown',
      reason: 'smtp_unavailable',
      temporary: false,
    });
    expect(classifySmtpReply(550, '5.3.0', 'Requested action not taken').reason).toBe(
      'smtp_unavailable',
    );
    expect(
      classifySmtpReply(550, null, "OU-001 messages from 203.0.113.9 weren't sent").reason,
    ).toBe('blocked');
  });

  it('reads X.1.7 / X.1.8 as our sender refused, and never calls a 521 rejected_email', () => {
    expect(classifySmtpReply(550, '5.1.8', 'Access denied, bad outbound sender').reason).toBe(
      'blocked',
    );
    expect(classifySmtpReply(553, '5.1.7', 'Invalid address').reason).toBe('blocked');
    for (const [enhanced, text] of [
      ['5.2.1', ': AOL will not accept delivery of this message.'],
      ['5.1.1', 'User unknown'],
      [null, 'Mailbox unavailable'],
    ] as const)
      expect(classifySmtpReply(521, enhanced, text).status).toBe('unknown');
  });

  it('calls storage wording mailbox_full only with X.2.2 or the mailbox named', () => {
    expect(classifySmtpReply(452, '4.3.1', 'Insufficient system storage')).toEqual({
      status: 'unknown',
      reason: 'greylisted',
      temporary: true,
    });
    expect(classifySmtpReply(552, '5.3.1', 'Insufficient system storage').reason).toBe(
      'smtp_unavailable',
    );
    expect(classifySmtpReply(452, '4.2.2', 'Insufficient system storage').reason).toBe(
      'mailbox_full',
    );
    expect(classifySmtpReply(452, null, 'Insufficient storage for user quota').reason).toBe(
      'mailbox_full',
    );
  });

  it('never reads "too many recipients" as a full mailbox, whatever the code (RFC 5321 4.5.3.1.10)', () => {
    expect(classifySmtpReply(552, '5.5.3', 'Too many recipients').reason).toBe('smtp_unavailable');
    expect(classifySmtpReply(552, null, 'Error: too many recipients').status).toBe('unknown');
    expect(classifySmtpReply(452, '4.5.3', 'Error: too many recipients').reason).toBe('greylisted');
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

  it("reads OpenSMTPD's 524 5.2.4 as an unknown user, and 5.2.4 elsewhere not by itself", () => {
    expect(classifySmtpReply(524, '5.2.4', 'Mailing list expansion problem')).toEqual({
      status: 'undeliverable',
      reason: 'rejected_email',
      temporary: false,
    });
    expect(matchingRule(524, '5.2.4', 'Mailing list expansion problem')).toBe(
      'unknown user (OpenSMTPD 524 5.2.4)',
    );
    // A blocklist named in the text still wins.
    expect(classifySmtpReply(524, '5.2.4', 'Listed at zen.spamhaus.org').reason).toBe('blocked');
  });

  it('reads "too many errors" as the session, never a greylisting nor the mailbox', () => {
    const postfix = classifySmtpReply(421, '4.7.0', 'mx.example.com Error: too many errors');
    expect(postfix).toEqual({ status: 'unknown', reason: 'smtp_unavailable', temporary: true });
    expect(classifySmtpReply(421, null, 'Too many syntax or protocol errors').reason).toBe(
      'smtp_unavailable',
    );
    expect(classifySmtpReply(550, null, 'Too many failed recipients').status).toBe('unknown');
  });
});
