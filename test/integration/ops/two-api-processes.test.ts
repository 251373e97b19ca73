import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { spawnApi, stopProcess } from '../../support/processes.ts';

// Two real API processes against one Redis: the per-minute limit of a key is one limit.
const apis: { url: string; child: ChildProcess }[] = [];

const h = useHarness();
beforeAll(async () => {
  const env = h.processEnv();
  apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
});
afterAll(async () => {
  for (const a of apis) await stopProcess(a.child);
});

describe('the per-minute limit across API processes', () => {
  it('when 61 requests of a free key are spread over two API processes, then exactly 60 pass and one gets 429', async () => {
    const acct = await h.account('free', 0);
    const statuses = await Promise.all(
      Array.from({ length: 61 }, (_, i) =>
        fetch(`${apis[i % 2]!.url}/v1/account`, {
          headers: { authorization: `Bearer ${acct.live}` },
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as any,
          retryAfter: r.headers.get('retry-after'),
        })),
      ),
    );
    const limited = statuses.filter((s) => s.status === 429);
    expect(statuses.filter((s) => s.status === 200)).toHaveLength(60);
    expect(limited).toHaveLength(1);
    expect(limited[0]!.body.error).toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { limit: 60 },
    });
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThan(0);
  });

  it('when one process is stopped with SIGTERM, then it exits 0 and the other keeps serving', async () => {
    expect(await stopProcess(apis[0]!.child, 'SIGTERM')).toBe(0);
    expect((await fetch(`${apis[1]!.url}/healthz`)).status).toBe(200);
  });
});
