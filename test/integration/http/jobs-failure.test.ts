import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { api, waitFor, useHarness, useAccount } from '../../support/harness.ts';

const h = useHarness();
const acct = useAccount(h, 'business', 100);

describe('a job whose work fails for good', () => {
  it('when its ingest cannot succeed, then the job ends failed, refunded, with a job.failed event', async () => {
    const call = api(h.url, acct.live);
    const created = await call('POST', '/v1/jobs', {
      emails: ['a@example.com', 'b@example.com', 'c@example.com'],
      webhook_url: 'https://hooks.example.com/mailsift',
    });
    expect(created.status).toBe(201);
    const jobId = created.json.id as string;
    // Damage the stored input before any worker runs: it now holds one row, the job says three.
    await h.deps.db.prisma.$executeRaw`
      UPDATE job_uploads SET data = ${gzipSync(Buffer.from('"a@example.com"\n'))} WHERE job_id = ${jobId}`;
    h.startWorkers();

    const failed = await waitFor(
      async () => {
        const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
        return job.status === 'failed' ? job : null;
      },
      { what: 'the job to fail' },
    );
    expect(failed).toMatchObject({ credits_reserved: 3, credits_charged: 0 });
    expect(failed.completed_at).not.toBeNull();
    const account = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(account.creditBalance).toBe(100);
    const events = await h.deps.db.prisma.webhookEvent.findMany({ where: { jobId } });
    expect(events.map((e) => e.type)).toEqual(['job.failed']);
  });
});
