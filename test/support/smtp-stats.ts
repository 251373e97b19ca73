/** Counters every scripted SMTP server exposes (see SmtpServerHandle in smtp-server.ts). */
import type { SmtpServerHandle } from './smtp-server.ts';

export function createStats() {
  let sessions = 0;
  let open = 0;
  let max = 0;
  let closed = 0;
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of waiters.filter((x) => x.ready())) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const until = (ready: () => boolean) =>
    ready() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ ready, resolve }));
  const stats = {
    rcpts: [] as string[],
    /** The client address of every connection, in arrival order. */
    remoteAddresses: [] as string[],
    commands: [] as string[],
    dataCommands: 0,
    tlsSessions: 0,
    /** A connection arrived; returns its 1-based session number. */
    open(): number {
      sessions++;
      open++;
      max = Math.max(max, open);
      wake();
      return sessions;
    },
    /** The session ended: QUIT answered, or the connection closed. */
    close(): void {
      open--;
      wake();
    },
    /** The connection's socket closed (whoever closed it). */
    closed(): void {
      closed++;
      wake();
    },
    handle(host: string, port: number, close: () => Promise<void>): SmtpServerHandle {
      return {
        host,
        port,
        get sessions() {
          return sessions;
        },
        get openSessions() {
          return open;
        },
        get maxConcurrentSessions() {
          return max;
        },
        get closedConnections() {
          return closed;
        },
        get tlsSessions() {
          return stats.tlsSessions;
        },
        get rcpts() {
          return stats.rcpts;
        },
        get remoteAddresses() {
          return stats.remoteAddresses;
        },
        get commands() {
          return stats.commands;
        },
        get dataCommands() {
          return stats.dataCommands;
        },
        waitForSessions: (n: number) => until(() => sessions >= n),
        waitForIdle: () => until(() => open === 0),
        waitForClosed: (n: number) => until(() => closed >= n),
        close,
      };
    },
  };
  return stats;
}
