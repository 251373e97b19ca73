import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { Mailsift, WebhookVerificationError, type Job } from '../../../sdk/src/index.ts';
import { api, startHarness, waitFor, useHarness, useAccount } from '../../support/harness.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import { FAST_WEBHOOKS } from '../../support/webhooks.ts';

// The SDK's job routes against the real service with real workers: every page of results,
// the download stream, wait's progress and its abort signal, webhook verification.

let client: Mailsift;

const h = useHarness({ ...FAST_WEBHOOKS, CHUNK_SIZE: '5' }, { workers: true });
const acct = useAccount(h, 'business', 1000);
beforeAll(async () => {
  client = new Mailsift({ apiKey: acct.test, baseUrl: h.url });
});

const verdicts = ['deliverable', 'undeliverable', 'risky', 'unknown'];
const emailsFor = (n: number) =>
  Array.from({ length: n }, (_, i) => `${verdicts[i % 4]}+${i}@example.com`);

describe('jobs through the SDK', () => {
  it('wait reports progress until the job ends; results iterate over every page; download streams results.csv', async () => {
    const created = await client.jobs.create({ emails: emailsFor(23), name: 'sdk pages' });
    expect(created).toMatchObject({ object: 'job', total: 23, name: 'sdk pages' });

    const seen: Job[] = [];
    const job = await client.jobs.wait(created.id, {
      pollMs: 100,
      onProgress: (j) => seen.push(j),
    });
    expect(job.status).toBe('completed');
    expect(job.processed).toBe(23);
    expect(seen.at(-1)).toEqual(job);
    // Progress only grows, and was seen before the end.
    const processed = seen.map((j) => j.processed);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(seen.length).toBeGreaterThan(1);

    const all = [];
    for await (const r of client.jobs.results(created.id, { pageSize: 4 })) all.push(r);
    expect(all.map((r) => r.index)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    const direct = await api(h.url, acct.test)('GET', `/v1/jobs/${created.id}/results?limit=1000`);
    expect(all).toEqual(direct.json.data);

    const risky = [];
    for await (const r of client.jobs.results(created.id, { status: 'risky', pageSize: 2 }))
      risky.push(r.email);
    expect(risky).toEqual(emailsFor(23).filter((e) => e.startsWith('risky')));

    const stream = await client.jobs.download(created.id);
    const text = Buffer.concat(await Readable.fromWeb(stream as never).toArray()).toString();
    expect(text).toBe(
      (await api(h.url, acct.test)('GET', `/v1/jobs/${created.id}/results.csv`)).text,
    );
    const one = await client.jobs.download(created.id, { status: 'undeliverable' });
    const lines = Buffer.concat(await Readable.fromWeb(one as never).toArray())
      .toString()
      .trim()
      .split(/\r?\n/);
    expect(lines.length).toBe(1 + job.counts.undeliverable);

    expect((await client.jobs.list({ limit: 1 })).data[0]!.id).toBe(created.id);
    await client.jobs.delete(created.id);
    await expect(client.jobs.get(created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('wait honours an abort signal: it rejects at once with the reason and leaves the job alone', async () => {
    // A harness without workers: its jobs stay queued.
    const idle = await startHarness();
    try {
      const a = await idle.account('business', 10);
      const c = new Mailsift({ apiKey: a.test, baseUrl: idle.url });
      const job = await c.jobs.create({ emails: ['a@example.com'] });
      const controller = new AbortController();
      const reason = new Error('user stopped waiting');
      let polls = 0;
      const waiting = c.jobs.wait(job.id, {
        pollMs: 60_000,
        signal: controller.signal,
        onProgress: () => {
          polls++;
          controller.abort(reason);
        },
      });
      const started = Date.now();
      await expect(waiting).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(polls).toBe(1);
      expect((await c.jobs.get(job.id)).status).toBe('queued');
    } finally {
      await idle.close();
    }
  });

  it('webhooks.verify accepts the real signed delivery, and refuses a changed body, a stale timestamp, a wrong secret', async () => {
    const receiver = await startReceiver();
    try {
      const created = await client.jobs.create({
        emails: emailsFor(3),
        webhookUrl: `${receiver.url}/hook`,
      });
      const [req] = await receiver.waitForRequests(1, 30_000);
      const headers = req!.headers as Record<string, string>;
      const event = await client.webhooks.verify(req!.body.toString(), headers, acct.webhookSecret);
      expect(event).toMatchObject({
        type: 'job.completed',
        data: { id: created.id, status: 'completed' },
      });
      expect(event.id).toBe(headers['webhook-id']);
      // Raw bytes work too, and our verdict agrees with the Standard Webhooks library.
      await expect(
        client.webhooks.verify(new Uint8Array(req!.body), headers, acct.webhookSecret),
      ).resolves.toEqual(event);
      expect(new Webhook(acct.webhookSecret).verify(req!.body.toString(), headers)).toEqual(event);

      const tampered = req!.body.toString().replace('"completed"', '"failed"');
      await expect(
        client.webhooks.verify(tampered, headers, acct.webhookSecret),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
      const later = new Date(Number(headers['webhook-timestamp']) * 1000 + 6 * 60_000);
      await expect(
        client.webhooks.verify(req!.body, headers, acct.webhookSecret, later),
      ).rejects.toThrow(/5 minutes/);
      const other = await h.account('business', 0);
      await expect(client.webhooks.verify(req!.body, headers, other.webhookSecret)).rejects.toThrow(
        /No signature/,
      );
      await expect(
        client.webhooks.verify(req!.body, { ...headers, 'webhook-id': '' }, acct.webhookSecret),
      ).rejects.toThrow(/Missing/);

      const attempts = await waitFor(async () => {
        const list = await client.jobs.webhookAttempts(created.id);
        return list.length > 0 && list;
      });
      expect(attempts[0]).toMatchObject({
        object: 'webhook_attempt',
        success: true,
        status_code: 200,
      });
    } finally {
      await receiver.close();
    }
  });

  it('enrichment, validate and account answer with the documented shapes', async () => {
    const v = await client.validate('risky@example.com');
    expect(v.result).toMatchObject({ email: 'risky@example.com', status: 'risky' });
    const b = await client.validateBatch(['deliverable@example.com', 'nope']);
    expect(b.results.map((r) => r.status)).toEqual(['deliverable', 'undeliverable']);
    const e = await client.enrichment('never-seen@example.org');
    expect(e).toMatchObject({ success: true, status: 'not_found' });
    const a = await client.account();
    expect(a).toMatchObject({ id: acct.id, plan: 'business', key: { mode: 'test' } });
  });
});
