import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/mailsift.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the real `mailsift` command (no stdin, pipes for output: not a terminal). */
export function startCli(
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string; command?: string[] } = {},
): { child: ChildProcess; done: Promise<CliRun>; output: () => string } {
  const [cmd, ...pre] = opts.command ?? [process.execPath, BIN];
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => stdout + stderr };
}

export const runCli = (
  args: string[],
  env: Record<string, string>,
  opts?: { cwd?: string; command?: string[] },
) => startCli(args, env, opts).done;
