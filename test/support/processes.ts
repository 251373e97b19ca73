import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Every child still running when the test process ends is killed, so a test that failed half-way
// (one of two processes started, say) leaves nothing behind on the machine.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * A real worker process (`workers/main.ts`), as `npm run start:worker` runs it. `onLog` gets its
 * log lines (stdout), when a test wants to read them.
 */
export function spawnWorker(
  env: Record<string, string>,
  opts: { onLog?: (line: string) => void; nodeArgs?: string[] } = {},
): ChildProcess {
  const args = opts.nodeArgs ?? ['--import', 'tsx', path.join(root, 'workers/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // Test processes share one database but not their queues: no sweeping of others' jobs.
    env: { ...process.env, JOB_SWEEP: 'false', ...env },
    stdio: ['ignore', opts.onLog ? 'pipe' : 'ignore', 'pipe'],
  });
  keepTail(child);
  if (opts.onLog) readLines(child, opts.onLog);
  return track(child);
}

/** Calls `onLine` with each line of a child's stdout. */
export function readLines(child: ChildProcess, onLine: (line: string) => void) {
  let rest = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });
}

/** Reads a child's stderr as it comes (a full pipe would block the child), keeping the tail. */
function keepTail(child: ChildProcess): { text: () => string } {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (tail = (tail + d).slice(-4000)));
  return { text: () => tail };
}

export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.kill(signal);
  const [code] = await exited;
  return code;
}

/** A port free at this moment, from the kernel rather than a guess. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A real API process (`src/server.ts`, or what `nodeArgs` names) on a free port; resolves once
 * /healthz answers. The wait is long: on a busy two-core machine, starting tsx and loading the
 * app can take many seconds.
 */
export async function spawnApi(
  env: Record<string, string>,
  startMs = 45_000,
  nodeArgs = ['--import', 'tsx', path.join(root, 'src/server.ts')],
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  const stderr = keepTail(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`API exited with ${child.exitCode}: ${stderr.text()}`);
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`API did not start within ${startMs} ms: ${stderr.text()}`);
}
