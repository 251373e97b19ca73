/**
 * A real SOCKS5 server for the proxy tests: Debian's dante-server (`danted`, installed by
 * .ci/services/dante.sh), one private instance per call on loopback and a free port, with its own
 * config file. Dante's `username` method checks the system password database, so the user of
 * DANTE_TEST_USER / DANTE_TEST_PASSWORD is created by the CI script.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './harness.ts';

export const DANTE_USER = process.env.DANTE_TEST_USER ?? 'mailsift-socks';
export const DANTE_PASSWORD = process.env.DANTE_TEST_PASSWORD ?? 'socks-test-pass';

export interface SocksServerOptions {
  /** Require RFC 1929 user/password (the system user above). */
  auth?: boolean;
  /** Destination ports the proxy's rules refuse (a provider blocking port 25). */
  refusePorts?: number[];
}

export interface SocksServer {
  host: string;
  port: number;
  /** `socks5://[user:pass@]host:port` */
  url(credentials?: { user: string; password: string }): string;
  /** What danted logged (connections passed and blocked). */
  log(): string;
  /** Resolves when the log matches (danted may log a refusal after the client has seen it). */
  waitForLog(pattern: RegExp): Promise<void>;
  close(): Promise<void>;
}

export function danteInstalled(): boolean {
  return spawnSync('danted', ['-v'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function startSocksServer(opts: SocksServerOptions = {}): Promise<SocksServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-dante-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = [
      'logoutput: stderr',
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'clientmethod: none',
      `socksmethod: ${opts.auth ? 'username' : 'none'}`,
      'user.privileged: root',
      'user.unprivileged: nobody',
      'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
      ...(opts.refusePorts ?? []).map(
        (p) => `socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 port = ${p} log: connect error }`,
      ),
      'socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 log: connect error }',
      '',
    ].join('\n');
    const file = path.join(dir, 'danted.conf');
    writeFileSync(file, conf);
    const child: ChildProcess = spawn(
      'danted',
      ['-f', file, '-p', path.join(dir, 'danted.pid'), '-N', '1'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const up = await waitForPort(port, child, 10_000);
    if (!up) {
      child.kill('SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`danted did not start: ${output}`);
    }
    return {
      host: '127.0.0.1',
      port,
      url(credentials) {
        const auth = credentials
          ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
          : '';
        return `socks5://${auth}127.0.0.1:${port}`;
      },
      log: () => output,
      async waitForLog(pattern) {
        await waitFor(async () => pattern.test(output), {
          timeoutMs: 10_000,
          what: `danted log ${pattern}`,
        });
      },
      async close() {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

async function waitForPort(port: number, child: ChildProcess, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
