import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../../src/queue/catalog.ts';
import { api, startHarness, waitFor, type Harness } from '../../support/harness.ts';
import { sumOf } from '../../support/prom-text.ts';

// Queue depth and age are read from Redis when /metrics is scraped: the API process, which runs
// no worker, reports the tasks waiting for the fleet's workers.
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ TEST_DAILY_LIMIT: '1000' }); // no workers yet
});
afterAll(async () => {
  await h?.close();
});

const scrape = async () => (await api(h.url)('GET', '/metrics')).text;
const waiting = (text: string, task: string) =>
  sumOf(text, 'mailsift_queue_tasks', { task, state: 'waiting' });
const age = (text: string, task: string) =>
  sumOf(text, 'mailsift_queue_oldest_waiting_seconds', { task });

describe('queue metrics', () => {
  it('when tasks wait with no worker to take them, then the API’s /metrics shows each task’s depth and the age of its oldest, and both fall to 0 once workers run', async () => {
    // Until the process's Redis connection is up, a scrape leaves the queue series out.
    const text0 = await waitFor(
      async () => {
        const t = await scrape();
        return t.includes('mailsift_queue_tasks{') ? t : null;
      },
      { what: 'the queue series' },
    );
    for (const [task, entry] of Object.entries(catalog)) {
      for (const state of ['waiting', 'delayed', 'active'])
        expect(text0, `${task} ${state}`).toContain(
          `mailsift_queue_tasks{queue="${entry.queue}",task="${task}",state="${state}"} 0`,
        );
      expect(text0).toContain(
        `mailsift_queue_oldest_waiting_seconds{queue="${entry.queue}",task="${task}"} 0`,
      );
    }

    const call = api(h.url, (await h.account('business', 10)).test);
    const createdAt = Date.now();
    const created = await call('POST', '/v1/jobs', { emails: ['deliverable@example.com'] });
    expect(created.status).toBe(201);
    // Deleting the job queues its purge beside its ingest: two tasks of one shared queue.
    expect((await call('DELETE', `/v1/jobs/${created.json.id}`)).status).toBe(204);

    const text1 = await waitFor(
      async () => {
        const t = await scrape();
        return age(t, 'ingest-job') >= 1.5 ? t : null;
      },
      { what: 'the ingest task to wait 1.5 s', timeoutMs: 20_000 },
    );
    expect(waiting(text1, 'ingest-job')).toBe(1);
    expect(waiting(text1, 'purge-job')).toBe(1);
    expect(waiting(text1, 'fail-job')).toBe(0);
    expect(waiting(text1, 'validate-chunk')).toBe(0);
    expect(sumOf(text1, 'mailsift_queue_tasks', { queue: 'jobs', task: 'other' })).toBe(0);
    expect(age(text1, 'ingest-job')).toBeLessThanOrEqual((Date.now() - createdAt) / 1000 + 0.5);
    expect(age(text1, 'purge-job')).toBeGreaterThan(0);
    expect(age(text1, 'validate-chunk')).toBe(0);

    h.startWorkers();
    const text2 = await waitFor(
      async () => {
        const t = await scrape();
        return waiting(t, 'ingest-job') + waiting(t, 'purge-job') === 0 ? t : null;
      },
      { what: 'the workers to take the waiting tasks', timeoutMs: 30_000 },
    );
    expect(age(text2, 'ingest-job')).toBe(0);
    expect(age(text2, 'purge-job')).toBe(0);
  });
});
