import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  InsufficientCreditsError,
  Mailsift,
  NetworkError,
  type RetryInfo,
} from '../../../sdk/src/index.ts';
import { useHarness } from '../../support/harness.ts';
import { dropCounters } from '../../support/limits.ts';

interface Seen {
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = (
  n: number,
  seen: Seen,
) => { status: number; headers?: Record<string, string>; body?: unknown };

/** A real HTTP server on 127.0.0.1 that answers the n-th request by script and records it. */
async function scripted(answer: Answer) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        at: Date.now(),
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      const a = answer(seen.length - 1, s);
      res.writeHead(a.status, {
        'content-type': 'application/json',
        'x-request-id': `req_${seen.length}`,
        ...a.headers,
      });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(r)),
  };
}

const envelope = (code: string, details?: object) => ({
  error: { code, message: `${code} here`, ...(details ? { details } : {}) },
  timestamp: new Date().toISOString(),
});

describe('retries against a real HTTP server', () => {
  it('429 with Retry-After, then 503, then 200: three attempts, waiting Retry-After and then a backoff', async () => {
    const server = await scripted((n) =>
      n === 0
        ? {
            status: 429,
            headers: { 'retry-after': '1' },
            body: envelope('RATE_LIMIT_EXCEEDED', { limit: 60, window: 60, retryAfter: 1 }),
          }
        : n === 1
          ? { status: 503, body: envelope('SERVICE_UNAVAILABLE') }
          : { status: 200, body: { id: 'acct_1', name: 'x' } },
    );
    try {
      const retries: RetryInfo[] = [];
      const client = new Mailsift({
        apiKey: 'ms_test_x',
        baseUrl: server.url,
        onRetry: (r) => retries.push(r),
      });
      const account = await client.account();
      expect(account).toEqual({ id: 'acct_1', name: 'x' });
      expect(server.seen).toHaveLength(3);
      // The planned waits: Retry-After exactly, then the backoff of a second retry (1 s less up to 25 %
      // jitter: 500 ms doubled per retry).
      expect(retries.map((r) => [r.retry, r.error.code])).toEqual([
        [1, 'RATE_LIMIT_EXCEEDED'],
        [2, 'SERVICE_UNAVAILABLE'],
      ]);
      expect(retries[0]!.delayMs).toBe(1000);
      expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(750);
      expect(retries[1]!.delayMs).toBeLessThanOrEqual(1000);
      // And the real gaps between the attempts the server saw are at least those waits.
      const [a, b, c] = server.seen.map((s) => s.at);
      expect(b! - a!).toBeGreaterThanOrEqual(1000 - 5);
      expect(c! - b!).toBeGreaterThanOrEqual(retries[1]!.delayMs - 5);
    } finally {
      await server.close();
    }
  });

  it('maxRetries bounds the attempts, and a non-retryable error is thrown at once', async () => {
    const down = await scripted(() => ({ status: 503, body: envelope('SERVICE_UNAVAILABLE') }));
    const poor = await scripted(() => ({
      status: 402,
      body: envelope('INSUFFICIENT_CREDITS', { required: 3, balance: 1 }),
    }));
    try {
      const err = await new Mailsift({ apiKey: 'k', baseUrl: down.url, maxRetries: 1 })
        .account()
        .catch((e) => e);
      expect(err.code).toBe('SERVICE_UNAVAILABLE');
      expect(down.seen).toHaveLength(2);

      const started = Date.now();
      const refused = await new Mailsift({ apiKey: 'k', baseUrl: poor.url, maxRetries: 5 })
        .validate('a@example.com')
        .catch((e) => e);
      expect(refused).toBeInstanceOf(InsufficientCreditsError);
      expect({
        required: refused.required,
        balance: refused.balance,
        requestId: refused.requestId,
      }).toEqual({ required: 3, balance: 1, requestId: 'req_1' });
      expect(poor.seen).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await down.close();
      await poor.close();
    }
  });

  it('VALIDATION_TIMEOUT is retried once with quick_mode: true only when the caller opts in', async () => {
    const server = await scripted((_n, seen) =>
      JSON.parse(seen.body).quick_mode === true
        ? {
            status: 200,
            body: {
              result: { email: 'a@example.com', status: 'deliverable' },
              remaining_credits: 9,
            },
          }
        : { status: 500, body: envelope('VALIDATION_TIMEOUT') },
    );
    try {
      const client = new Mailsift({ apiKey: 'k', baseUrl: server.url });
      const plain = await client.validate('a@example.com').catch((e) => e);
      expect(plain.code).toBe('VALIDATION_TIMEOUT');
      expect(server.seen).toHaveLength(1);

      const res = await client.validate('a@example.com', { retryWithQuickMode: true });
      expect(res.remaining_credits).toBe(9);
      expect(server.seen.slice(1).map((s) => JSON.parse(s.body).quick_mode)).toEqual([
        undefined,
        true,
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('job creation is retried only with an Idempotency-Key', () => {
  const h = useHarness({}, { beforeClose: dropCounters });

  /**
   * A proxy in front of the real service that lets the n-th request through and then cuts the
   * connection before the answer reaches the client: the job exists, the client saw nothing.
   */
  async function lossyProxy(lose: (n: number) => boolean) {
    const seen: http.IncomingHttpHeaders[] = [];
    const target = new URL(h.url);
    const proxy = http.createServer((req, res) => {
      const n = seen.push(req.headers) - 1;
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            if (lose(n)) return req.socket.destroy();
            res.writeHead(up.statusCode!, up.headers);
            res.end(Buffer.concat(chunks));
          });
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      seen,
      close: () =>
        new Promise((r) => {
          proxy.closeAllConnections();
          proxy.close(r);
        }),
    };
  }

  it('when the answer to a create is lost, the retry carries the same key and gets the same job, charged once', async () => {
    const acct = await h.account('business', 100);
    const proxy = await lossyProxy((n) => n === 0);
    try {
      const client = new Mailsift({ apiKey: acct.live, baseUrl: proxy.url });
      const emails = ['a@example.com', 'b@example.com', 'c@example.com'];
      const job = await client.jobs.create({ emails, name: 'lost answer' });
      expect(proxy.seen).toHaveLength(2);
      const keys = proxy.seen.map((s) => s['idempotency-key']);
      expect(keys[0]).toMatch(/^sdk_[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);

      const direct = new Mailsift({ apiKey: acct.live, baseUrl: h.url });
      const list = await direct.jobs.list();
      expect(list.data.map((j) => j.id)).toEqual([job.id]);
      expect((await direct.account()).remaining_credits).toBe(100 - 3);
    } finally {
      await proxy.close();
    }
  });

  it('a file upload whose answer is lost is sent again from the file, and still makes one job', async () => {
    const acct = await h.account('business', 100);
    const proxy = await lossyProxy((n) => n === 0);
    try {
      const client = new Mailsift({ apiKey: acct.live, baseUrl: proxy.url });
      const blob = new Blob(['email\na@example.com\nb@example.com\n'], { type: 'text/csv' });
      const job = await client.jobs.create({ file: blob, idempotencyKey: 'my-upload-1' });
      expect(proxy.seen.map((s) => s['idempotency-key'])).toEqual(['my-upload-1', 'my-upload-1']);
      expect(job.total).toBe(2);
      const list = await new Mailsift({ apiKey: acct.live, baseUrl: h.url }).jobs.list();
      expect(list.data.map((j) => j.id)).toEqual([job.id]);
    } finally {
      await proxy.close();
    }
  });

  it('a one-shot stream that was already sent is not sent again: the network error is thrown', async () => {
    const acct = await h.account('business', 100);
    const proxy = await lossyProxy(() => true);
    try {
      const client = new Mailsift({ apiKey: acct.live, baseUrl: proxy.url });
      async function* rows() {
        yield new TextEncoder().encode('email\na@example.com\n');
      }
      const err = await client.jobs.create({ file: rows() }).catch((e) => e);
      expect(err).toBeInstanceOf(NetworkError);
      expect(proxy.seen).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
