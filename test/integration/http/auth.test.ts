import { describe, expect, it } from 'vitest';
import { useHarness, useAccount } from '../../support/harness.ts';

const h = useHarness();
const acct = useAccount(h, 'business', 10);

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, { headers }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as any,
  }));

describe('API keys are accepted four ways, in API.md’s order', () => {
  it('when the key comes as Token, Bearer, X-API-Key or ?api_key, then each is accepted', async () => {
    expect((await get('/v1/jobs', { authorization: `Token ${acct.live}` })).status).toBe(200);
    expect((await get('/v1/jobs', { authorization: `Bearer ${acct.live}` })).status).toBe(200);
    expect((await get('/v1/jobs', { 'x-api-key': acct.live })).status).toBe(200);
    expect((await get(`/v1/jobs?api_key=${acct.live}`)).status).toBe(200);
  });

  it('when several are sent, then the first in order decides', async () => {
    const bogus = `ms_live_${'Z'.repeat(40)}`;
    expect(
      (await get(`/v1/jobs?api_key=${bogus}`, { authorization: `Token ${acct.live}` })).status,
    ).toBe(200);
    const res = await get(`/v1/jobs?api_key=${acct.live}`, { 'x-api-key': bogus });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('INVALID_API_KEY');
  });

  it('when no key is sent, then 401 MISSING_API_KEY naming the four ways', async () => {
    const res = await get('/v1/jobs');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('MISSING_API_KEY');
    for (const way of ['Token', 'Bearer', 'X-API-Key', 'api_key'])
      expect(res.json.error.message).toContain(way);
  });

  it('when the key is malformed or unknown, then 401 INVALID_API_KEY', async () => {
    for (const key of [
      'nope',
      'ms_live_short',
      `ms_prod_${'a'.repeat(40)}`,
      `ms_live_${'a'.repeat(40)}`,
    ]) {
      const res = await get('/v1/jobs', { 'x-api-key': key });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('INVALID_API_KEY');
    }
  });
});
