import { describe, expect, it } from 'vitest';
import { sendWebhook } from '../../../src/domain/webhooks/send-webhook.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import { useResource } from '../../support/use-resource.ts';

const r = useResource(() => startReceiver());

const body = Buffer.from('{"id":"evt_x"}');

describe('sending one webhook (the address that was checked is the one connected to)', () => {
  it('when a host name resolves, then the request goes to that address with the name in Host, after one lookup', async () => {
    const lookups: string[] = [];
    const outcome = await sendWebhook(
      `http://hooks.mailsift.test:${r.port}/cb?a=1`,
      body,
      { 'webhook-id': 'evt_x' },
      {
        timeoutMs: 2000,
        allowPrivate: true,
        resolve: async (host) => {
          lookups.push(host);
          return [{ address: '127.0.0.1', family: 4 }];
        },
      },
    );
    expect(outcome).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(lookups).toEqual(['hooks.mailsift.test']);
    const [req] = await r.waitForRequests(1);
    expect(req!.headers.host).toBe(`hooks.mailsift.test:${r.port}`);
    expect(req!.path).toBe('/cb?a=1');
    expect(req!.body.equals(body)).toBe(true);
  });

  it('when DNS answers a public address and then (rebinding) loopback, then only the checked answer is used', async () => {
    const before = r.requests.length;
    let calls = 0;
    const outcome = await sendWebhook(
      `http://rebind.mailsift.test:${r.port}/`,
      body,
      {},
      {
        timeoutMs: 500,
        allowPrivate: false,
        resolve: async () =>
          calls++ === 0
            ? [{ address: '192.88.98.1', family: 4 }]
            : [{ address: '127.0.0.1', family: 4 }],
      },
    );
    // 192.88.98.1 is public unicast and unreachable here: the attempt fails, and it never reaches
    // the loopback receiver that a second lookup would have pointed at.
    expect(outcome.kind).toBe('error');
    expect(calls).toBe(1);
    expect(r.requests.length).toBe(before);
  });

  it('when the destination is refused, then no connection is made and the failure is permanent', async () => {
    const before = r.requests.length;
    const outcome = await sendWebhook(
      `http://127.0.0.1:${r.port}/`,
      body,
      {},
      { timeoutMs: 500, allowPrivate: false },
    );
    expect(outcome).toMatchObject({
      kind: 'error',
      permanent: true,
      error: 'destination not allowed: loopback address',
    });
    expect(r.requests.length).toBe(before);
  });
});
