/**
 * The SMTP client against a hand-written server that misbehaves at the STARTTLS switch.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession } from '../../../src/validation/smtp-session.ts';
import { testCertificate } from '../../support/smtp-tls.ts';

/**
 * Answers STARTTLS with its 220 and, in the same packet, plain-text replies a man in the middle
 * could have added (CVE-2011-0411): a fake EHLO reply offering SMTPUTF8 and a fake RCPT reply.
 * After TLS it answers EHLO with 8BITMIME only, and MAIL FROM with 250.
 */
function startInjectingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('error', () => raw.destroy());
    let sock: net.Socket = raw;
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i).replace(/\r$/, '').toUpperCase();
        buffer = buffer.slice(i + 1);
        if (line.startsWith('EHLO') && sock === raw) sock.write('250-mx.test\r\n250 STARTTLS\r\n');
        else if (line.startsWith('EHLO')) sock.write('250-mx.test\r\n250 8BITMIME\r\n');
        else if (line === 'STARTTLS') {
          raw.write(
            '220 2.0.0 Ready to start TLS\r\n250-mx.test\r\n250 SMTPUTF8\r\n550 5.1.1 injected\r\n',
          );
          raw.removeListener('data', onData);
          const secure = new tls.TLSSocket(raw, { isServer: true, ...testCertificate() });
          secure.on('error', () => raw.destroy());
          secure.on('data', onData);
          sock = secure;
          buffer = '';
        } else if (line.startsWith('MAIL')) sock.write('250 2.1.0 Ok\r\n');
        else if (line === 'QUIT') sock.end('221 2.0.0 Bye\r\n');
        else sock.write('502 5.5.2 Error: command not recognized\r\n');
      }
    };
    raw.on('data', onData);
    raw.write('220 mx.test ESMTP\r\n');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

describe('SMTP client at the STARTTLS switch', () => {
  it('when plain-text replies follow the 220 to STARTTLS, then they are dropped and only TLS replies are read', async () => {
    const server = await startInjectingServer();
    close = server.close;
    const signal = AbortSignal.timeout(5000);
    const opened = await openSession({
      ip: '127.0.0.1',
      mxHost: 'mx.test',
      port: server.port,
      heloName: 'probe.example.com',
      connectTimeoutMs: 2000,
      signal,
    });
    if (opened.kind !== 'open') throw new Error(`session refused: ${opened.reply.text}`);
    try {
      expect(opened.conn.secure).toBe(true);
      // the EHLO reply read after TLS is the server's, not the injected one
      expect(opened.extensions.has('8BITMIME')).toBe(true);
      expect(opened.extensions.has('SMTPUTF8')).toBe(false);
      // and the replies stay in step: MAIL FROM gets its own 250, not the injected 550
      const mail = await opened.conn.command('MAIL FROM:<verify@probe.example.com>', signal);
      expect(mail).toMatchObject({ code: 250, enhanced: '2.1.0' });
    } finally {
      await opened.conn.quit(500);
    }
  });
});
