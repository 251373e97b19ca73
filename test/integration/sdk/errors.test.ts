import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  ConflictError,
  InsufficientCreditsError,
  Mailsift,
  NetworkError,
  NotFoundError,
  PermissionError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
  ValidationInputError,
  ValidationTimeoutError,
} from '../../../sdk/src/index.ts';
import type { Verifier } from '../../../src/validation/types.ts';
import { startDnsServer } from '../../support/dns-server.ts';
import { startHarness, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { closedPort } from '../../support/ports.ts';
import { dropCounters, newKey } from '../../support/limits.ts';

// Every error class of the SDK, each produced by a real answer of the real service (the
// in-process app on port 0, real Postgres and Redis), or by a real socket for "no answer".

// A DNS server that never answers: a live validation hangs until VALIDATION_DEADLINE_MS.
const dns = useResource(() => startDnsServer({ 'slow.test': { timeout: true } }));
const h = useHarness(
  () => ({
    DNS_SERVERS: dns.address,
    DNS_TIMEOUT_MS: '20000',
    VALIDATION_DEADLINE_MS: '400',
    TEST_DAILY_LIMIT: '3',
    MAX_EMAILS_PER_JOB: '5',
  }),
  { beforeClose: dropCounters },
);
const acct = useAccount(h, 'business', 100);

const sdk = (
  apiKey: string,
  extra: { maxRetries?: number; baseUrl?: string; timeoutMs?: number } = {},
) => new Mailsift({ apiKey, baseUrl: h.url, maxRetries: 0, ...extra });

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** Every API error carries the envelope's fields and the request id of the answer. */
function expectApiError(
  err: any,
  cls: new (...a: any[]) => ApiError,
  status: number,
  code: string,
) {
  expect(err).toBeInstanceOf(cls);
  expect(err).toBeInstanceOf(ApiError);
  expect({ status: err.status, code: err.code }).toEqual({ status, code });
  expect(err.message.length).toBeGreaterThan(0);
  expect(err.requestId).toMatch(/\S/);
  expect(typeof err.details).toBe('object');
}

describe('typed errors from real answers', () => {
  it('401 is an AuthenticationError', async () => {
    const err = await caught(sdk(`ms_live_${'A'.repeat(40)}`).account());
    expectApiError(err, AuthenticationError, 401, 'INVALID_API_KEY');
  });

  it('402 is an InsufficientCreditsError with required and balance', async () => {
    const broke = await h.account('business', 0);
    const err = await caught(sdk(broke.live).validate('a@example.com', { quickMode: true }));
    expectApiError(err, InsufficientCreditsError, 402, 'INSUFFICIENT_CREDITS');
    expect({ required: err.required, balance: err.balance }).toEqual({ required: 1, balance: 0 });
  });

  it('403 FEATURE_NOT_AVAILABLE (SMTP on a plan without it) and INSUFFICIENT_SCOPE are PermissionErrors', async () => {
    const free = await h.account('free', 10);
    const err = await caught(sdk(free.live).validate('a@example.com', { smtp: true }));
    expectApiError(err, PermissionError, 403, 'FEATURE_NOT_AVAILABLE');
    expect(err.details).toMatchObject({ feature: expect.any(String), currentTier: 'free' });

    const readOnly = await newKey(h, acct.id, { scopes: ['validate:read'] });
    const scoped = await caught(sdk(readOnly.key).jobs.create({ emails: ['a@example.com'] }));
    expectApiError(scoped, PermissionError, 403, 'INSUFFICIENT_SCOPE');
  });

  it('404 is a NotFoundError', async () => {
    const err = await caught(sdk(acct.test).jobs.get(`job_${'a'.repeat(24)}`));
    expectApiError(err, NotFoundError, 404, 'NOT_FOUND');
  });

  it('409 (an Idempotency-Key reused for another request) is a ConflictError', async () => {
    const client = sdk(acct.test);
    const idempotencyKey = `conflict-${Date.now()}`;
    await client.jobs.create({ emails: ['a@example.com'], idempotencyKey });
    const err = await caught(client.jobs.create({ emails: ['b@example.com'], idempotencyKey }));
    expectApiError(err, ConflictError, 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('400 is a ValidationInputError with the field map', async () => {
    const err = await caught(sdk(acct.test).jobs.create({ emails: ['a@example.com', ''] }));
    expectApiError(err, ValidationInputError, 400, 'VALIDATION_ERROR');
    expect(err.fields).toEqual({ emails: { '1': ['Must not be empty.'] } });
    const batch = await caught(sdk(acct.test).validateBatch([]));
    expectApiError(batch, ValidationInputError, 400, 'BATCH_EMPTY');
  });

  it('429 RATE_LIMIT_EXCEEDED is a RateLimitError with retryAfter', async () => {
    const free = await h.account('free', 0);
    const client = sdk(free.live);
    const replies = await Promise.allSettled(Array.from({ length: 61 }, () => client.account()));
    const limited = replies.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(limited).toHaveLength(1);
    expectApiError(limited[0], RateLimitError, 429, 'RATE_LIMIT_EXCEEDED');
    expect(limited[0].retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited[0].retryAfter).toBe(limited[0].details.retryAfter);
  });

  it('429 DAILY_LIMIT_EXCEEDED (a test key past its daily emails) is a QuotaExceededError', async () => {
    const other = await h.account('business', 10);
    await sdk(other.test).validateBatch(['a@example.com', 'b@example.com']);
    const err = await caught(sdk(other.test).validateBatch(['c@example.com', 'd@example.com']));
    expectApiError(err, QuotaExceededError, 429, 'DAILY_LIMIT_EXCEEDED');
    expect({ limit: err.limit, used: err.used }).toEqual({ limit: 3, used: 2 });
    expect(err.resetsAt).toMatch(/T00:00:00/);
  });

  it('500 VALIDATION_TIMEOUT is a ValidationTimeoutError', async () => {
    const err = await caught(sdk(acct.live).validate('someone@slow.test', { quickMode: true }));
    expectApiError(err, ValidationTimeoutError, 500, 'VALIDATION_TIMEOUT');
  });

  it('413 PAYLOAD_TOO_LARGE, a code of no family, is a plain ApiError', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `u${i}@example.com`);
    const err = await caught(sdk(acct.test).jobs.create({ emails }));
    expectApiError(err, ApiError, 413, 'PAYLOAD_TOO_LARGE');
    expect(err.constructor).toBe(ApiError);
    expect(err.details).toEqual({ maximum: 5 });
  });

  it('500 INTERNAL_ERROR is a plain ApiError, and is retried before it is thrown', async () => {
    const real = h.deps.verifier;
    let calls = 0;
    h.deps.verifier = {
      ...real,
      verify: () => {
        calls++;
        return Promise.reject(new Error('boom'));
      },
    } satisfies Verifier;
    try {
      const retries: number[] = [];
      const client = new Mailsift({
        apiKey: acct.live,
        baseUrl: h.url,
        maxRetries: 1,
        onRetry: (r) => retries.push(r.retry),
      });
      const err = await caught(client.validate('x@example.com', { quickMode: true }));
      expectApiError(err, ApiError, 500, 'INTERNAL_ERROR');
      expect(retries).toEqual([1]);
      expect(calls).toBe(2);
    } finally {
      h.deps.verifier = real;
    }
  });
});

describe('503 and no answer', () => {
  it('503 (Postgres unreachable) is a ServiceUnavailableError with Retry-After', async () => {
    const port = await closedPort();
    const down = await startHarness({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/mailsift`,
    });
    try {
      const err = await caught(
        new Mailsift({
          apiKey: `ms_live_${'B'.repeat(40)}`,
          baseUrl: down.url,
          maxRetries: 0,
        }).account(),
      );
      expectApiError(err, ServiceUnavailableError, 503, 'SERVICE_UNAVAILABLE');
      expect(err.retryAfter).toBe(5);
    } finally {
      await down.close();
    }
  });

  it('a refused connection is a NetworkError; a server that never answers is a TimeoutError', async () => {
    const refused = await caught(
      sdk(acct.test, { baseUrl: `http://127.0.0.1:${await closedPort()}` }).account(),
    );
    expect(refused).toBeInstanceOf(NetworkError);
    expect(refused).not.toBeInstanceOf(TimeoutError);
    expect(refused.code).toBe('NETWORK_ERROR');
    expect(refused.message).toMatch(/ECONNREFUSED/);

    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const err = await caught(sdk(acct.test, { baseUrl: url, timeoutMs: 300 }).account());
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err).toBeInstanceOf(NetworkError);
      expect(err.code).toBe('TIMEOUT');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
