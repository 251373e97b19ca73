/**
 * Every row of ../shared/smtp-replies.tsv, answered by a real SMTP server to a real probe, as
 * one line and split over three lines, must give the row's status and one of its reasons.
 */
import { describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import {
  fillReply,
  loadSmtpReplies,
  splitReply,
  type SmtpReplyRow,
} from '../../support/smtp-replies.ts';
import type { RcptHandler } from '../../support/smtp-server.ts';
import { engineFixture, LIVE } from '../../support/engine-harness.ts';
import { useResource } from '../../support/use-resource.ts';

const rows = loadSmtpReplies();
const byLocal = new Map(rows.map((r) => [`row${r.line}`, r]));

function answer(parts: number): RcptHandler {
  return (address) => {
    const row = byLocal.get(address.slice(0, address.indexOf('@')));
    if (!row) return { code: 250, message: '2.1.5 Ok' };
    const text = fillReply(row.message, address);
    const lines = splitReply(row.code, text, parts).map((l) => l.slice(4));
    return { code: row.code, message: lines };
  };
}

const f = useResource(() =>
  engineFixture({
    servers: [
      { host: '127.0.0.2', behaviour: { rcpt: answer(1) } },
      { host: '127.0.0.3', behaviour: { rcpt: answer(3) } },
    ],
    zones: mxZones({ 'oneline.test': '127.0.0.2', 'multiline.test': '127.0.0.3' }),
    // Every row in one session (classification, not politeness: see engine-session-limits).
    smtp: { maxConnectionsPerHost: 4, maxRejectionsPerSession: 1000 },
  }),
);

function expectRow(
  row: SmtpReplyRow,
  v: { status: string; reason: string; temporary: boolean; checks: { smtp: unknown } },
) {
  const why = `${row.code} ${row.message}`;
  expect(v.status, why).toBe(row.status);
  expect(row.reasons, why).toContain(v.reason);
  expect(v.temporary, why).toBe(row.code < 500);
  expect(v.checks.smtp, why).toMatchObject({ code: row.code });
}

describe.each(['oneline.test', 'multiline.test'])(
  'smtp-replies.tsv through a live session at %s',
  (domain) => {
    it.each(rows.map((r) => [r.line, r.code, r.message.slice(0, 60), r] as const))(
      'line %i: %i %s',
      async (_l, _c, _m, row) => {
        expectRow(row, await f.verifier.verify(`row${row.line}@${domain}`, LIVE));
      },
    );

    it('gives every non-closing row its verdict when all share one session', async () => {
      const shared = rows.filter((r) => r.code !== 421);
      const before = f.servers[domain === 'oneline.test' ? 0 : 1]?.sessions ?? 0;
      const verdicts = await f.verifier.verifyDomainGroup(
        domain,
        shared.map((r) => `row${r.line}@${domain}`),
        LIVE,
      );
      shared.forEach((row, i) => expectRow(row, verdicts[i] as never));
      expect((f.servers[domain === 'oneline.test' ? 0 : 1]?.sessions ?? 0) - before).toBe(1);
    });
  },
);
