/**
 * The same behaviours on the nodemailer `smtp-server` package: an SMTP implementation written
 * by someone else, so the verifier is not only tested against servers made by its own authors.
 * It cannot tarpit, drop mid-dialogue or send multi-line RCPT replies: use the scripted server.
 */
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { connectReject, decideRcpt, latencyOf, type SmtpBehaviour } from './smtp-behaviour.ts';
import { createStats } from './smtp-stats.ts';
import type { SmtpServerHandle } from './smtp-server.ts';

class ReplyError extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startPackageSmtpServer(
  host: string,
  port: number,
  b: SmtpBehaviour,
): Promise<SmtpServerHandle> {
  if (b.tarpit || b.dropAfterMailFrom || b.multiLine || b.refuseEhlo) {
    throw new Error(
      'smtp-server implementation: tarpit/drop/multiLine/refuseEhlo need the scripted server',
    );
  }
  const stats = createStats();
  const ids = new Map<string, { n: number; rcpts: number; mailFrom: string }>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const after = (fn: () => void) => {
    const ms = latencyOf(b);
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const state = (s: SMTPServerSession) => ids.get(s.id) ?? { n: 0, rcpts: 0, mailFrom: '' };

  const server = new SMTPServer({
    name: `mx.${host}.test`,
    logger: false,
    closeTimeout: 100,
    authOptional: true,
    disabledCommands: b.startTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    onConnect(session, cb) {
      ids.set(session.id, { n: stats.open(), rcpts: 0, mailFrom: '' });
      stats.remoteAddresses.push(session.remoteAddress);
      const reject = connectReject(b);
      const text =
        reject && (Array.isArray(reject.message) ? reject.message.join(' ') : reject.message);
      after(() => cb(reject ? new ReplyError(reject.code, text ?? '') : null));
    },
    onClose(session) {
      if (ids.delete(session.id)) stats.close();
      stats.closed();
    },
    onSecure(_socket, _session, cb) {
      stats.tlsSessions++;
      cb();
    },
    onMailFrom(address, session, cb) {
      stats.commands.push(`MAIL FROM:<${address.address}>`);
      state(session).mailFrom = address.address;
      after(() => cb());
    },
    onRcptTo(address, session, cb) {
      const rcpt = address.address;
      stats.commands.push(`RCPT TO:<${rcpt}>`);
      stats.rcpts.push(rcpt);
      const st = state(session);
      st.rcpts++;
      const attempt = (attempts.get(rcpt.toLowerCase()) ?? 0) + 1;
      attempts.set(rcpt.toLowerCase(), attempt);
      const r = decideRcpt(b, rcpt, {
        session: st.n,
        attempt,
        rcptInSession: st.rcpts,
        mailFrom: st.mailFrom,
      });
      const text = Array.isArray(r.message) ? r.message.join(' ') : r.message;
      after(() => cb(r.code >= 400 ? new ReplyError(r.code, text) : null));
    },
    onData(stream, _session, cb) {
      stats.dataCommands++;
      stream.resume();
      stream.on('end', () => cb(new ReplyError(554, '5.5.1 Error: no DATA expected')));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);

  return stats.handle(host, port, async () => {
    for (const t of timers) clearTimeout(t);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
