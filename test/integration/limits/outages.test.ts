import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Verifier } from '../../../src/validation/types.ts';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, startHarness, type Harness, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, expectError, stateOf } from '../../support/limits.ts';

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('500 VALIDATION_TIMEOUT: a synchronous validation past its deadline', () => {
  // A DNS server that never answers for slow.test: verification hangs until the deadline.
  const dns = useResource(() =>
    startDnsServer({
      ...mxZones({ 'example.com': '127.0.0.2' }),
      'slow.test': { timeout: true },
    }),
  );
  const h = useHarness(
    () => ({
      DNS_SERVERS: dns.address,
      DNS_TIMEOUT_MS: '20000',
      VALIDATION_DEADLINE_MS: '400',
    }),
    { beforeClose: dropCounters },
  );

  it('when verification outlasts VALIDATION_DEADLINE_MS, then VALIDATION_TIMEOUT suggests quick_mode, and the credit and quota come back', async () => {
    const acct = await h.account('growth', 10);
    const call = api(h.url, acct.live);
    const before = await stateOf(h, acct.id);
    const started = Date.now();
    const res = await call('POST', '/v1/validate', {
      email: 'someone@slow.test',
      quick_mode: true,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expectError(res, 500, 'VALIDATION_TIMEOUT');
    expect(res.json.error.message).toContain('quick_mode');

    const batch = await call('POST', '/v1/validate/batch', {
      emails: ['a@example.com', 'b@slow.test'],
      quick_mode: true,
    });
    expectError(batch, 500, 'VALIDATION_TIMEOUT');

    const after = await stateOf(h, acct.id);
    expect({ balance: after.balance, ledgerSum: after.ledgerSum, facts: after.facts }).toEqual({
      balance: before.balance,
      ledgerSum: before.ledgerSum,
      facts: 0,
    });
    // The ledger shows the charge and its refund, so the balance is explained.
    const kinds = await h.deps.db.prisma.creditLedger.findMany({
      where: { accountId: acct.id },
      orderBy: { id: 'asc' },
    });
    expect(kinds.map((l) => [l.kind, l.amount])).toEqual([
      ['topup', 10],
      ['charge', -1],
      ['refund', 1],
      ['charge', -2],
      ['refund', 2],
    ]);
    expect((await call('GET', '/v1/account')).json.usage.month).toBe(0);
  });

  it('when the engine fails unexpectedly, then INTERNAL_ERROR carries the request id and nothing of the cause, and the credit comes back', async () => {
    const acct = await h.account('growth', 10);
    const real = h.deps.verifier;
    const failing: Verifier = {
      ...real,
      verify: () =>
        Promise.reject(new Error('relation "secret_table" does not exist (db-7.internal:5432)')),
    };
    h.deps.verifier = failing;
    try {
      const res = await api(h.url, acct.live)(
        'POST',
        '/v1/validate',
        { email: 'x@example.com' },
        { 'x-request-id': 'req-test-internal-1' },
      );
      expectError(res, 500, 'INTERNAL_ERROR');
      expect(res.json.error.message).toContain('req-test-internal-1');
      expect(res.text).not.toMatch(/secret_table|db-7|internal:5432/);
    } finally {
      h.deps.verifier = real;
    }
    expect((await stateOf(h, acct.id)).balance).toBe(10);
  });
});

/**
 * Harness.close() obliterates the queues, and BullMQ waits for a connection that never comes:
 * close them first and let the obliteration fail at once.
 */
async function closeWithoutRedis(h: Harness) {
  await h.deps.queues.close();
  const offline = { obliterate: () => Promise.reject(new Error('redis is offline')) };
  h.deps.queues = { ...h.deps.queues, queue: () => offline as never, close: async () => undefined };
  await h.close();
}

describe('503 SERVICE_UNAVAILABLE: a backing service is unreachable', () => {
  it('when Redis is unreachable, then /v1 answers 503 with Retry-After, and nothing is charged', async () => {
    const h = await startHarness({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    // BullMQ reports each failed reconnection as an 'error' event; expected here.
    for (const q of ['jobs', 'chunks', 'webhooks'] as const)
      h.deps.queues.queue(q).on('error', () => undefined);
    try {
      const acct = await h.account('growth', 10);
      const before = await stateOf(h, acct.id);
      for (const [method, path, body] of [
        ['GET', '/v1/account', undefined],
        ['POST', '/v1/validate', { email: 'a@example.com', quick_mode: true }],
        ['POST', '/v1/jobs', { emails: ['a@example.com'] }],
      ] as const) {
        const res = await api(h.url, acct.live)(method, path, body);
        expectError(res, 503, 'SERVICE_UNAVAILABLE');
        expect(res.headers.get('retry-after')).toBe('5');
      }
      expect(await stateOf(h, acct.id)).toEqual(before);
    } finally {
      await closeWithoutRedis(h);
    }
  });

  it('when Postgres is unreachable, then /v1 answers 503 with Retry-After', async () => {
    const h = await startHarness({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${await closedPort()}/mailsift`,
    });
    try {
      const res = await api(h.url, `ms_live_${'B'.repeat(40)}`)('GET', '/v1/account');
      expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('5');
    } finally {
      await h.close();
    }
  });
});
