import { afterAll, describe, expect, it } from 'vitest';
import { api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { startMailWorld } from '../../support/mail-world.ts';

/**
 * The synchronous probe answers as soon as the RCPT reply is in: the QUIT is sent, and its 221
 * awaited in the background, where it still closes the session cleanly.
 */
let openQuitGate: () => void = () => undefined;
const quitGate = new Promise<void>((resolve) => {
  openQuitGate = resolve;
});

const world = useResource(() =>
  startMailWorld(
    [
      {
        host: '127.0.0.2',
        // The 221 is held back until the test has the HTTP answer in hand.
        behaviour: { knownUsers: ['alice'], quitAnsweredAfter: () => quitGate },
      },
    ],
    { 'slowquit.test': '127.0.0.2' },
  ),
);
// One session at a time per host: the next probe needs the slot of the held one back.
const h = useHarness(() => ({ ...world.env, SMTP_MAX_CONNECTIONS_PER_HOST: '1' }));
afterAll(async () => {
  openQuitGate();
});

describe('POST /v1/validate and the QUIT', () => {
  it('when the server holds its answer to QUIT, then the verdict comes first and the session still ends with QUIT and a closed socket', async () => {
    const acct = await h.account('business', 5);
    const server = world.smtp.servers[0]!;

    const res = await api(h.url, acct.live)('POST', '/v1/validate', {
      email: 'alice@slowquit.test',
    });
    // The answer is in while the server has not answered QUIT and the connection is still open:
    // the probe neither waited for the 221 nor gave up on it.
    const closedAtAnswer = server.closedConnections;
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(res.json.result.checks.smtp).toMatchObject({ code: 250 });
    expect(closedAtAnswer).toBe(0);

    openQuitGate();
    await server.waitForClosed(1);
    expect(server.sessions).toBe(1);
    expect(server.commands.at(-1)).toBe('QUIT');
    expect(server.commands.filter((c) => c === 'QUIT')).toHaveLength(1);
    expect(server.dataCommands).toBe(0);
  });

  it('when the held QUIT has been answered, then the one connection slot of the host is free for the next probe', async () => {
    const acct = await h.account('business', 5);
    const server = world.smtp.servers[0]!;
    const before = server.sessions;
    const res = await api(h.url, acct.live)('POST', '/v1/validate', {
      email: 'bob@slowquit.test',
    });
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    await server.waitForClosed(before + 1);
    expect(server.sessions).toBe(before + 1);
    expect(server.openSessions).toBe(0);
  });
});
