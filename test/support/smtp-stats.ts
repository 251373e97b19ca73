/** Counters every scripted SMTP server exposes (see SmtpServerHandle in smtp-server.ts). */
import type { SmtpServerHandle } from './smtp-server.ts';

export function createStats() {
  let sessions = 0;
  let open = 0;
  let max = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
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
      for (const w of waiters.filter((x) => sessions >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      return sessions;
    },
    close(): void {
      open--;
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
        waitForSessions(n: number) {
          if (sessions >= n) return Promise.resolve();
          return new Promise<void>((resolve) => waiters.push({ n, resolve }));
        },
        close,
      };
    },
  };
  return stats;
}
