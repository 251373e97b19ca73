/**
 * A sample of the RCPT reply corpus (test/unit/validation/fixtures/rcpt-replies.tsv: every 5th
 * row, all classes and sources) answered by a real SMTP server to a real probe, as one line and
 * split over three lines: the verdict of a live session is the row's.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import { fillReply, loadSmtpReplies, splitReply } from '../../support/smtp-replies.ts';
import type { RcptHandler } from '../../support/smtp-server.ts';
import { engineFixture, LIVE } from '../../support/engine-harness.ts';
import { useResource } from '../../support/use-resource.ts';

const FILE = fileURLToPath(
  new URL('../../unit/validation/fixtures/rcpt-replies.tsv', import.meta.url),
);
const sample = loadSmtpReplies(FILE).filter((_, i) => i % 5 === 0);
const byLocal = new Map(sample.map((r) => [`row${r.line}`, r]));

function answer(parts: number): RcptHandler {
  return (address) => {
    const row = byLocal.get(address.slice(0, address.indexOf('@')));
    // Anyone else (the catch-all probe) does not exist: accepted rows stay deliverable.
    if (!row) return { code: 550, message: '5.1.1 User unknown' };
    const lines = splitReply(row.code, fillReply(row.message, address), parts).map((l) =>
      l.slice(4),
    );
    return { code: row.code, message: lines };
  };
}

const f = useResource(() =>
  engineFixture({
    servers: [
      { host: '127.0.0.71', behaviour: { rcpt: answer(1) } },
      { host: '127.0.0.72', behaviour: { rcpt: answer(3) } },
    ],
    zones: mxZones({ 'corpus-one.test': '127.0.0.71', 'corpus-three.test': '127.0.0.72' }),
    // A loaded machine must not turn a reply into a timeout.
    smtp: { maxConnectionsPerHost: 4, timeoutMs: 15_000 },
  }),
);

describe.each(['corpus-one.test', 'corpus-three.test'])(
  'rcpt-replies.tsv sample at %s',
  (domain) => {
    it('samples at least 60 rows', () => {
      expect(sample.length).toBeGreaterThanOrEqual(60);
    });

    it.each(sample.map((r) => [r.line, r.code, r.message.slice(0, 60), r] as const))(
      'line %i: %i %s',
      async (_l, _c, _m, row) => {
        const v = await f.verifier.verify(`row${row.line}@${domain}`, LIVE);
        const why = `${row.code} ${row.message}`;
        expect(v.status, why).toBe(row.status);
        expect(row.reasons, why).toContain(v.reason);
        expect(v.temporary, why).toBe(row.code >= 400 && row.code < 500);
        expect(v.checks.smtp, why).toMatchObject({ code: row.code });
      },
    );
  },
);
