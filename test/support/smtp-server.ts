/**
 * Scripted SMTP servers for tests, on loopback addresses 127.0.0.N.
 *
 * The engine connects to every MX host on one port (SMTP_PORT), so each scripted server gets
 * its own loopback IP and they all share a port; the DNS zone maps domain -> MX mx.N.test ->
 * A 127.0.0.N (see mxZones() in dns-server.ts).
 *
 * Usage:
 *   const { port, servers: [known, catchAll] } = await startSmtpServers([
 *     { host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } },
 *     { host: '127.0.0.3', behaviour: { acceptAll: true, multiLine: true } },
 *   ]);
 *   const dns = await startDnsServer(mxZones({ 'known.test': '127.0.0.2', 'all.test': '127.0.0.3' }));
 *   // engine config: { dns: { servers: [dns.address] }, smtp: { port, allowPrivate: true, ... } }
 *   expect(known.sessions).toBe(1); expect(known.rcpts).toContain('alice@known.test');
 *   await Promise.all([known.close(), catchAll.close(), dns.close()]);
 *
 * One more server on the same port later: startSmtpServer({ host: '127.0.0.4', port, behaviour }).
 * Behaviours (greylist, tarpit, rejectOnConnect, startTls, maxRecipientsPerSession, multiLine,
 * custom rcpt replies, latency...) are documented on SmtpBehaviour in smtp-behaviour.ts.
 */
import net from 'node:net';
import { startPackageSmtpServer } from './smtp-server-package.ts';
import { startScriptedSmtpServer } from './smtp-server-scripted.ts';
import type { SmtpBehaviour } from './smtp-behaviour.ts';

export type { SmtpBehaviour, SmtpReply, RcptContext, RcptHandler } from './smtp-behaviour.ts';

export interface SmtpServerHandle {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly sessions: number;
  /** Connections open now. */
  readonly openSessions: number;
  /** The most connections that were open at once. */
  readonly maxConcurrentSessions: number;
  /** Sessions that completed a STARTTLS handshake. */
  readonly tlsSessions: number;
  /** Every RCPT TO address, in arrival order, across sessions. */
  readonly rcpts: string[];
  /** The client address of every connection (the probe's source address), in arrival order. */
  readonly remoteAddresses: string[];
  /** Every command line received (e.g. `EHLO probe.test`, `RCPT TO:<a@b.test>`). */
  readonly commands: string[];
  /** DATA commands received: a verifier must never send one. */
  readonly dataCommands: number;
  /** Connections whose socket has closed, whoever closed it. */
  readonly closedConnections: number;
  /** Resolves when `sessions` reaches n (no sleeps in tests). */
  waitForSessions(n: number): Promise<void>;
  /**
   * Resolves when no session is open: each one ended by QUIT or by its connection closing. A
   * verifier sends QUIT without waiting for the answer, so its verdict can come first.
   */
  waitForIdle(): Promise<void>;
  /** Resolves when `closedConnections` reaches n. */
  waitForClosed(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface StartSmtpServerOptions {
  host: string;
  port: number;
  behaviour?: SmtpBehaviour;
}

export async function startSmtpServer(opts: StartSmtpServerOptions): Promise<SmtpServerHandle> {
  const behaviour = opts.behaviour ?? {};
  return behaviour.implementation === 'smtp-server'
    ? startPackageSmtpServer(opts.host, opts.port, behaviour)
    : startScriptedSmtpServer(opts.host, opts.port, behaviour);
}

export interface SmtpServerSpec {
  host: string;
  behaviour?: SmtpBehaviour;
}

/**
 * Starts several servers on one shared free port, choosing a random port in 20000-60000 and
 * trying again (all of them) when any host has it taken.
 */
export async function startSmtpServers(
  specs: SmtpServerSpec[],
): Promise<{ port: number; servers: SmtpServerHandle[]; close(): Promise<void> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = randomPort();
    const started: SmtpServerHandle[] = [];
    try {
      for (const spec of specs) {
        started.push(await startSmtpServer({ host: spec.host, port, behaviour: spec.behaviour }));
      }
      return {
        port,
        servers: started,
        close: async () => {
          await Promise.all(started.map((s) => s.close()));
        },
      };
    } catch (err) {
      await Promise.all(started.map((s) => s.close()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no free port shared by every host after 20 tries');
}

/** A port free on every given host right now (TCP), for servers started later on it. */
export async function findFreePort(hosts: string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomPort();
    const servers: net.Server[] = [];
    let ok = true;
    for (const host of hosts) {
      const s = net.createServer();
      const bound = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(port, host, () => resolve(true));
      });
      if (!bound) {
        ok = false;
        break;
      }
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return port;
  }
  throw new Error('no free port found');
}

/** `127.0.0.2`, `127.0.0.3`, ... for n servers starting at `first`. */
export function loopbackHosts(n: number, first = 2): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = first + i;
    return `127.0.${Math.floor(k / 256)}.${k % 256}`;
  });
}

function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}
