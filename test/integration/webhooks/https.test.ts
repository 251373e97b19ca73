import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from '../../../src/domain/webhooks/send-webhook.ts';
import { api, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { spawnWorker, stopProcess } from '../../support/processes.ts';
import { selfSignedCertificate, type Certificate } from '../../support/smtp-tls.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import { FAST_WEBHOOKS, createJobWithWebhook, verifyWith } from '../../support/webhooks.ts';

// https receivers with a certificate made by openssl, for `localhost` and a name that no
// resolver knows. The connection goes to the checked address; TLS names the host.
let dir: string;
let tls: Certificate;
let certFile: string;

beforeAll(() => {
  tls = selfSignedCertificate('localhost', ['localhost', 'hooks.example.test']);
  // The CA file a worker is told to trust (NODE_EXTRA_CA_CERTS).
  dir = mkdtempSync(path.join(tmpdir(), 'mailsift-tls-'));
  certFile = path.join(dir, 'cert.pem');
  writeFileSync(certFile, tls.cert);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('webhooks over https', () => {
  const r = useResource(() => startReceiver(undefined, tls));

  it('when the host name resolves to the checked address, then TLS names the host (SNI) and an untrusted certificate fails the attempt, retryably', async () => {
    // hooks.example.test exists only in this resolver: the socket can reach 127.0.0.1 only
    // because the checked address is used, and the handshake still names the host.
    const outcome = await sendWebhook(
      `https://hooks.example.test:${r.port}/hook`,
      Buffer.from('{}'),
      {},
      {
        timeoutMs: 5000,
        allowPrivate: true,
        resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      },
    );
    expect(outcome).toMatchObject({ kind: 'error', permanent: false });
    expect(outcome.kind === 'error' && outcome.error).toMatch(/^TLS error \(.*SELF_SIGNED.*\)$/);
    expect(r.handshakes).toEqual(['hooks.example.test']);
    expect(r.requests).toHaveLength(0);
  });
});

describe('a job’s webhook delivered over https by a worker that trusts the certificate', () => {
  let worker: ChildProcess | undefined;
  const r = useResource(() => startReceiver(undefined, tls));
  const h = useHarness(FAST_WEBHOOKS);
  const acct = useAccount(h, 'business', 10);
  afterAll(async () => {
    if (worker) await stopProcess(worker, 'SIGKILL');
  });

  it('when the job ends, then the event arrives over TLS with SNI `localhost` and a valid signature', async () => {
    const call = api(h.url, acct.test);
    const jobId = await createJobWithWebhook(call, `https://localhost:${r.port}/hook`);
    worker = spawnWorker(h.processEnv({ ...FAST_WEBHOOKS, NODE_EXTRA_CA_CERTS: certFile }));
    const [request] = await r.waitForRequests(1, 45_000);
    expect(request!.servername).toBe('localhost');
    expect(verifyWith(acct.webhookSecret, request!)).toMatchObject({
      type: 'job.completed',
      data: { id: jobId, status: 'completed' },
    });
  });
});
