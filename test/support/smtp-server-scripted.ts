/**
 * The hand-written scripted SMTP server (see smtp-server.ts for usage): a plain node:net server
 * that can misbehave in ways a well-made library will not (tarpits, dropped connections, 421 on
 * connect, multi-line banners, exact reply text).
 */
import net from 'node:net';
import tls from 'node:tls';
import { testCertificate } from './smtp-tls.ts';
import { connectReject, decideRcpt, latencyOf, type SmtpBehaviour } from './smtp-behaviour.ts';
import { createStats } from './smtp-stats.ts';
import { splitReply } from './smtp-replies.ts';
import type { SmtpServerHandle } from './smtp-server.ts';

export async function startScriptedSmtpServer(
  host: string,
  port: number,
  b: SmtpBehaviour,
): Promise<SmtpServerHandle> {
  const stats = createStats();
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const attempts = new Map<string, number>();
  const name = `mx.${host}.test`;
  let closing = false;

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function session(raw: net.Socket): void {
    const id = stats.open();
    stats.remoteAddresses.push(raw.remoteAddress ?? '');
    sockets.add(raw);
    // Each reply leaves when written: with Nagle, a reply written while the one before is not
    // yet acknowledged waits for the client's delayed ACK (40 ms on Linux), which would hold
    // back the replies to pipelined commands that real MTAs send together.
    raw.setNoDelay(true);
    let sock: net.Socket = raw;
    let buffer = '';
    let busy = false;
    let tlsActive = false;
    let mailFrom: string | null = null;
    let rcptInSession = 0;
    const pending: { line: string; at: number }[] = [];
    /** A 421 was sent: nothing more is read. */
    let hungUp = false;
    /** When the command being answered arrived (latencyIsRoundTrip). */
    let arrivedAt = 0;

    // The session ends when QUIT is answered (the client may then open the next one) or when
    // the connection closes, whichever comes first.
    let ended = false;
    const endSession = () => {
      if (!ended) stats.close();
      ended = true;
    };
    raw.on('close', () => {
      sockets.delete(raw);
      endSession();
      stats.closed();
    });
    raw.on('error', () => raw.destroy());

    const replyDelay = () =>
      b.latencyIsRoundTrip
        ? Math.max(0, arrivedAt + latencyOf(b) - performance.now())
        : latencyOf(b);

    async function write(text: string, delayMs = replyDelay()): Promise<void> {
      await later(delayMs);
      if (sock.destroyed) return;
      if (!b.tarpit) {
        sock.write(text);
        return;
      }
      const bps = b.tarpit === true ? 1 : b.tarpit.bytesPerSecond;
      for (const ch of text) {
        if (sock.destroyed || closing) return;
        sock.write(ch);
        await later(1000 / bps);
      }
    }

    const reply = (code: number, message: string | string[]) => write(format(code, message, b));

    function onData(chunk: Buffer): void {
      if (hungUp) return;
      buffer += chunk.toString('latin1');
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        pending.push({ line: buffer.slice(0, i).replace(/\r$/, ''), at: performance.now() });
        buffer = buffer.slice(i + 1);
      }
      void pump();
    }

    async function pump(): Promise<void> {
      if (busy) return;
      busy = true;
      try {
        while (pending.length > 0 && !sock.destroyed) {
          const next = pending.shift();
          if (!next) break;
          const { line } = next;
          arrivedAt = next.at;
          stats.commands.push(line);
          await command(line);
        }
      } finally {
        busy = false;
      }
    }

    async function command(line: string): Promise<void> {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') {
        if (typeof b.refuseEhlo === 'object') return reply(b.refuseEhlo.code, b.refuseEhlo.message);
        if (b.refuseEhlo) return reply(502, '5.5.2 Error: command not recognized');
        const ext = ['SIZE 10240000', 'ENHANCEDSTATUSCODES', '8BITMIME'];
        if (!b.noPipelining) ext.unshift('PIPELINING');
        if (b.startTls && !tlsActive) ext.push('STARTTLS');
        return write(format(250, [name, ...ext], { multiLine: true }));
      }
      if (verb === 'HELO') return reply(250, name);
      if (verb === 'STAR' && line.toUpperCase() === 'STARTTLS') {
        if (!b.startTls || tlsActive) return reply(502, '5.5.1 Error: command not implemented');
        await reply(220, '2.0.0 Ready to start TLS');
        upgrade();
        return;
      }
      if (verb === 'MAIL') {
        mailFrom = /<([^>]*)>/.exec(line)?.[1] ?? '';
        if (b.dropAfterMailFrom) {
          sock.destroy();
          return;
        }
        return reply(250, '2.1.0 Ok');
      }
      if (verb === 'RCPT') {
        if (mailFrom === null) return reply(503, '5.5.1 Error: need MAIL command');
        const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
        stats.rcpts.push(address);
        const attempt = (attempts.get(address.toLowerCase()) ?? 0) + 1;
        attempts.set(address.toLowerCase(), attempt);
        rcptInSession++;
        const r = decideRcpt(b, address, { session: id, attempt, rcptInSession, mailFrom });
        if (r.code === 421) {
          // RFC 5321 3.8: 421 closes the channel; commands pipelined behind it go unread.
          hungUp = true;
          pending.length = 0;
        }
        await reply(r.code, r.message);
        if (r.code === 421) sock.end();
        return;
      }
      if (verb === 'RSET') {
        mailFrom = null;
        return reply(250, '2.0.0 Ok');
      }
      if (verb === 'NOOP') return reply(250, '2.0.0 Ok');
      if (verb === 'DATA') {
        stats.dataCommands++;
        return reply(554, '5.5.1 Error: no valid recipients');
      }
      if (verb === 'QUIT') {
        endSession();
        await b.quitAnsweredAfter?.();
        await reply(221, '2.0.0 Bye');
        sock.end();
        return;
      }
      return reply(502, '5.5.2 Error: command not recognized');
    }

    // RFC 3207 4.2: after STARTTLS the session starts over on the encrypted channel.
    function upgrade(): void {
      raw.removeListener('data', onData);
      const secure = new tls.TLSSocket(raw, { isServer: true, ...testCertificate() });
      secure.on('error', () => raw.destroy());
      secure.on('secure', () => {
        stats.tlsSessions++;
      });
      secure.on('data', onData);
      sock = secure;
      tlsActive = true;
      mailFrom = null;
      buffer = '';
    }

    raw.on('data', onData);
    const reject = connectReject(b);
    if (reject) {
      void reply(reject.code, reject.message).then(() => raw.end());
      return;
    }
    const banner = b.multiLine
      ? [`${name} ESMTP scripted`, 'Unauthorised use prohibited', 'Ready']
      : `${name} ESMTP scripted`;
    void write(format(220, banner, { multiLine: b.multiLine }), b.greetingMs ?? latencyOf(b));
  }

  const server = net.createServer(session);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return stats.handle(host, port, async () => {
    closing = true;
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/** Formats a reply; with multiLine a one-line text is split over two lines the way servers do. */
function format(code: number, message: string | string[], b: { multiLine?: boolean }): string {
  const lines = Array.isArray(message) ? message : [message];
  if (b.multiLine && lines.length === 1) {
    return splitReply(code, lines[0] ?? '', 2)
      .map((l) => `${l}\r\n`)
      .join('');
  }
  return lines.map((l, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${l}\r\n`).join('');
}
