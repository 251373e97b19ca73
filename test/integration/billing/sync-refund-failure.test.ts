import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, expectError, stateOf } from '../../support/limits.ts';

// A synchronous validation whose refund itself fails (a database blip). The failure is real:
// Postgres refuses the refund's statement, by a trigger on credit_ledger that concerns one test
// account only (so test files running beside this one are not touched), and is dropped after.

const dns = useResource(() =>
  startDnsServer({
    ...mxZones({ 'example.com': '127.0.0.2' }),
    // SERVFAIL: the verdict is `unknown`, whose credit is refunded in the same request.
    'broken.test': { servfail: true },
    // Never answers: the request passes its deadline.
    'slow.test': { timeout: true },
  }),
);
const h = useHarness(
  () => ({
    DNS_SERVERS: dns.address,
    DNS_TIMEOUT_MS: '20000',
    VALIDATION_DEADLINE_MS: '3000',
  }),
  { beforeClose: dropCounters },
);

/**
 * Makes Postgres refuse the next `times` refunds of one account (the ledger line and the balance
 * move in one statement, so the whole refund fails). A sequence counts them: its increments
 * survive the failed statement's rollback. Returns the clean-up.
 */
async function failRefunds(accountId: string, times: number) {
  const prisma = h.deps.db.prisma;
  const id = `test_refund_fails_${randomBytes(4).toString('hex')}`;
  const account = accountId.replace(/'/g, "''");
  await prisma.$executeRawUnsafe(`CREATE SEQUENCE ${id}`);
  await prisma.$executeRawUnsafe(`
    CREATE FUNCTION ${id}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.account_id = '${account}' AND NEW.kind = 'refund' AND nextval('${id}') <= ${times} THEN
        RAISE EXCEPTION 'refund refused by the test';
      END IF;
      RETURN NEW;
    END $$`);
  await prisma.$executeRawUnsafe(
    `CREATE TRIGGER ${id} BEFORE INSERT ON credit_ledger FOR EACH ROW EXECUTE FUNCTION ${id}()`,
  );
  return async () => {
    await prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${id} ON credit_ledger`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${id}()`);
    await prisma.$executeRawUnsafe(`DROP SEQUENCE IF EXISTS ${id}`);
  };
}

/** Runs `work` with the app logging its errors into the returned list. */
async function capturingErrors(work: () => Promise<void>) {
  const lines: { msg: string; credits?: number; requestId?: string }[] = [];
  const real = h.deps.logger;
  h.deps.logger = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  try {
    await work();
  } finally {
    h.deps.logger = real;
  }
  return lines;
}

const ledgerOf = (accountId: string) =>
  h.deps.db.prisma.creditLedger
    .findMany({ where: { accountId }, orderBy: { id: 'asc' } })
    .then((lines) => lines.map((l) => [l.kind, l.amount, l.note]));

describe('POST /v1/validate/batch when a refund fails', () => {
  it('when the refund of the unknown verdicts fails, then the request fails and the whole charge and the quota are given back, once', async () => {
    const acct = await h.account('growth', 10);
    const before = await stateOf(h, acct.id);
    const restore = await failRefunds(acct.id, 1);
    let res!: Awaited<ReturnType<ReturnType<typeof api>>>;
    try {
      res = await api(h.url, acct.live)(
        'POST',
        '/v1/validate/batch',
        { emails: ['a@example.com', 'b@broken.test'], quick_mode: true },
        { 'x-request-id': 'req-refund-once' },
      );
    } finally {
      await restore();
    }
    expectError(res, 500, 'INTERNAL_ERROR');

    // Charged 2; the refund of the one unknown was refused, so nothing of it moved; the
    // failure's refund gave back the 2 (not 2 + 1).
    expect(await ledgerOf(acct.id)).toEqual([
      ['topup', 10, expect.any(String)],
      ['charge', -2, 'validate req-refund-once'],
      ['refund', 2, 'validate req-refund-once failed'],
    ]);
    expect(await stateOf(h, acct.id)).toEqual({ ...before, ledgerLines: 3 });
  });

  it('when every refund fails, then the quota is still given back, the client gets the request’s own error, and the credits owed are logged', async () => {
    const acct = await h.account('growth', 10);
    const before = await stateOf(h, acct.id);
    const restore = await failRefunds(acct.id, 1000);
    let res!: Awaited<ReturnType<ReturnType<typeof api>>>;
    let unknownRes!: typeof res;
    const logged = await capturingErrors(async () => {
      try {
        // The deadline passes: the charge of 2 cannot be refunded.
        res = await api(h.url, acct.live)(
          'POST',
          '/v1/validate/batch',
          { emails: ['a@example.com', 'b@slow.test'], quick_mode: true },
          { 'x-request-id': 'req-refund-never-1' },
        );
        // An unknown verdict: neither its refund nor the failure's can be made.
        unknownRes = await api(h.url, acct.live)(
          'POST',
          '/v1/validate',
          { email: 'c@broken.test', quick_mode: true },
          { 'x-request-id': 'req-refund-never-2' },
        );
      } finally {
        await restore();
      }
    });
    expectError(res, 500, 'VALIDATION_TIMEOUT');
    expectError(unknownRes, 500, 'INTERNAL_ERROR');

    // The credits stay taken (3), and each failed refund is logged with what is owed.
    expect(await ledgerOf(acct.id)).toEqual([
      ['topup', 10, expect.any(String)],
      ['charge', -2, 'validate req-refund-never-1'],
      ['charge', -1, 'validate req-refund-never-2'],
    ]);
    const owed = logged
      .filter((l) => l.msg.startsWith('could not refund a failed validation'))
      .map((l) => [l.requestId, l.credits]);
    expect(owed).toEqual([
      ['req-refund-never-1', 2],
      ['req-refund-never-2', 1],
    ]);
    // The quota and today's usage are given back all the same.
    expect(await stateOf(h, acct.id)).toEqual({
      ...before,
      balance: 7,
      ledgerSum: 7,
      ledgerLines: 3,
    });
  });
});
