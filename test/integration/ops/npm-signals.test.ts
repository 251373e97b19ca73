import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, jobWhen, waitFor, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { freePort, readLines, stopProcess } from '../../support/processes.ts';

// Process managers (systemd, Docker without an init, PM2, Heroku) send SIGTERM to the process
// they started: here npm. npm passes it to its child; the scripts `exec` node, so that child is
// the node process itself, not a shell that would die and leave node running unsignalled.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];

// 150 ms a reply: a chunk of 10 addresses takes a couple of seconds, long enough to be caught
// running when the signal comes.
const mail = useResource(() =>
  startMailWorld([{ host: '127.0.0.81', behaviour: { acceptAll: true, latencyMs: 150 } }], {
    'drain.test': '127.0.0.81',
  }),
);
const h = useHarness(() => ({ ...mail.env, CHUNK_SIZE: '10' }));
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
});

/** `npm run <script>`; resolves once a log line matches `ready`, with the node process's pid. */
async function npmRun(script: string, env: Record<string, string>, ready: RegExp) {
  const lines: string[] = [];
  const npm = spawn('npm', ['run', script], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(npm);
  npm.stderr?.resume();
  readLines(npm, (line) => lines.push(line));
  const pid = await waitFor(
    async () => {
      if (npm.exitCode !== null) throw new Error(`npm run ${script} exited: ${lines.join('\n')}`);
      const line = lines.find((l) => ready.test(l));
      return line ? (JSON.parse(line) as { pid: number }).pid : null;
    },
    { what: `npm run ${script} to start`, timeoutMs: 90_000, intervalMs: 100 },
  );
  return { npm, pid, lines };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('SIGTERM sent to the npm process', () => {
  it('when npm run start:worker gets SIGTERM while a chunk runs, then the worker lets the chunk finish and exits, and no node process is left', async () => {
    const call = api(h.url, (await h.account('business', 100)).live);
    const emails = Array.from({ length: 10 }, (_, i) => `drain${i}@drain.test`);
    const jobId = (await call('POST', '/v1/jobs', { emails, smtp: true })).json.id as string;
    const { npm, pid, lines } = await npmRun(
      'start:worker',
      h.processEnv({
        ...mail.env,
        SMTP_MAX_CONNECTIONS_PER_HOST: '5',
        SHUTDOWN_TIMEOUT_MS: '25000',
      }),
      /workers running/,
    );
    expect(pid).not.toBe(npm.pid);
    const chunks = h.deps.queues.queue('chunks');
    await waitFor(async () => (await chunks.getJobs(['active'])).length > 0, {
      what: 'the chunk to run',
      intervalMs: 20,
    });

    const npmExited = once(npm, 'exit');
    npm.kill('SIGTERM');
    await npmExited;
    await waitFor(async () => !alive(pid), { what: 'the worker to exit', timeoutMs: 30_000 });

    // The node process itself got the signal: it logged its shutdown...
    expect(
      lines.some((l) =>
        /"reason":"SIGTERM".*shutting down|shutting down.*"reason":"SIGTERM"/.test(l),
      ),
    ).toBe(true);
    // ...and drained: the chunk it was running finished before it left (not handed back).
    const done = await jobWhen(call, jobId, 'completed', 5_000);
    expect(done.processed).toBe(10);
    // Nothing of it is still running. (Waiting tasks are not asserted: the queue can hold tasks
    // that are not this chunk's, and the job's completion above already proves the chunk ran.)
    expect((await chunks.getJobCounts('active')).active).toBe(0);
  }, 180_000);

  for (const [script, ready] of [
    ['start:api', /API listening/],
    ['start', /mailsift listening/],
  ] as const) {
    it(`when npm run ${script} gets SIGTERM, then its node process shuts down too`, async () => {
      const port = await freePort();
      const { npm, pid, lines } = await npmRun(
        script,
        h.processEnv({ PORT: String(port), JOB_SWEEP: 'false' }),
        ready,
      );
      expect(pid).not.toBe(npm.pid);
      const npmExited = once(npm, 'exit');
      npm.kill('SIGTERM');
      await npmExited;
      await waitFor(async () => !alive(pid), { what: `${script} to exit`, timeoutMs: 30_000 });
      expect(lines.some((l) => l.includes('shutting down') && l.includes('SIGTERM'))).toBe(true);
    }, 150_000);
  }
});
