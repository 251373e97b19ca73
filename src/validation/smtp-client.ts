import net from 'node:net';
import tls from 'node:tls';
import { SocksClient } from 'socks';
import { Deadline } from './deadline-signal.ts';
import type { ProxyConfig } from './network-config.ts';
import {
  MAX_LINE_LENGTH,
  ReplyAssembler,
  SmtpProtocolError,
  type SmtpReply,
} from './smtp-reply.ts';

/**
 * One SMTP connection on node:net / node:tls: reads replies, sends commands, upgrades with
 * STARTTLS. Every wait takes an AbortSignal, the caller's hard deadline: when it fires the
 * socket is destroyed, so a tarpit dribbling one byte a second cannot hold a probe (socket idle
 * timeouts alone would never fire against it).
 */

/**
 * TCP connect failed: refused, unreachable, reset, or no SYN-ACK in time; through a proxy, the
 * proxy failed or would not connect (`proxy` names it): never a word about the mailbox.
 */
export class SmtpConnectError extends Error {
  override name = 'SmtpConnectError';
  constructor(
    message: string,
    readonly code: string,
    readonly proxy: string | null = null,
  ) {
    super(message);
  }
}

/** The server closed the connection (or it broke) in the middle of the dialogue. */
export class SmtpClosedError extends Error {
  override name = 'SmtpClosedError';
}

/** The TLS handshake after STARTTLS failed; the caller may retry in plain text. */
export class SmtpTlsError extends Error {
  override name = 'SmtpTlsError';
}

/** Told of a connection's replies and of its close (src/lib/probe-metrics.ts). */
export interface SmtpObserver {
  reply(command: string, reply: SmtpReply): void;
  closed(): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Hard deadline of the whole probe. */
  signal: AbortSignal;
  /** Connect attempt bound, within the deadline (a dead MX host should leave time for the next). */
  connectTimeoutMs: number;
  /** Local address to bind to (SMTP_SOURCE_ADDRESSES); direct connections only. */
  localAddress?: string;
  /** Connect through this SOCKS5 proxy (SMTP_PROXIES). */
  proxy?: ProxyConfig | null;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

export class SmtpConnection {
  private socket: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private assembler = new ReplyAssembler();
  private readonly replies: SmtpReply[] = [];
  private failure: Error | null = null;
  private waiter: ((r: SmtpReply | Error) => void) | null = null;
  private tls = false;
  private observer: SmtpObserver | null = null;
  /** The commands sent and not answered yet, oldest first: what each next reply answers. */
  private readonly awaiting: string[] = ['banner'];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static connect(opts: ConnectOptions): Promise<SmtpConnection> {
    const { signal } = opts;
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (opts.proxy) return connectThroughProxy(opts, opts.proxy);
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: opts.host,
        port: opts.port,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      socket.setNoDelay(true);
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        socket.removeListener('connect', onConnect);
      };
      const onAbort = () => {
        cleanup();
        socket.destroy();
        reject(abortError(signal));
      };
      const onError = (err: NodeJS.ErrnoException) => {
        cleanup();
        socket.destroy();
        reject(new SmtpConnectError(err.message, err.code ?? 'ECONNERROR'));
      };
      const onConnect = () => {
        cleanup();
        resolve(SmtpConnection.over(socket));
      };
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new SmtpConnectError(`connect to ${opts.host}:${opts.port} timed out`, 'ETIMEDOUT'));
      }, opts.connectTimeoutMs);
      signal.addEventListener('abort', onAbort);
      socket.once('error', onError);
      socket.once('connect', onConnect);
    });
  }

  /** A connection on a socket that is already connected (a proxy's tunnel). */
  static over(socket: net.Socket): SmtpConnection {
    return new SmtpConnection(socket);
  }

  /**
   * Tells `observer` of every reply read and, once, of the connection's close (metrics). The
   * close is watched on the first socket: a TLS socket upgraded over it closes it too.
   */
  observe(observer: SmtpObserver): void {
    this.observer = observer;
    if (this.socket.destroyed) observer.closed();
    else this.socket.once('close', () => observer.closed());
  }

  get secure(): boolean {
    return this.tls;
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let nl: number;
    while ((nl = this.pending.indexOf(10)) >= 0) {
      const line = this.pending.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      this.pending = this.pending.subarray(nl + 1);
      try {
        const reply = this.assembler.push(line);
        if (reply) this.deliver(reply);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
    }
    if (this.pending.length > MAX_LINE_LENGTH)
      this.fail(new SmtpProtocolError('reply line too long'));
  };

  private readonly onError = (err: Error): void => {
    this.fail(new SmtpClosedError(`connection error: ${err.message}`));
  };

  private readonly onClose = (): void => {
    this.fail(new SmtpClosedError('connection closed by the server'));
  };

  private deliver(reply: SmtpReply): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(reply);
    } else {
      this.replies.push(reply);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.socket.destroy();
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(this.failure);
    }
  }

  /** The next reply (the banner first), in the order the commands were sent. */
  async read(signal: AbortSignal): Promise<SmtpReply> {
    const reply = await this.next(signal);
    this.observer?.reply(this.awaiting.shift() ?? 'unasked', reply);
    return reply;
  }

  private next(signal: AbortSignal): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (signal.aborted) {
      this.destroy();
      return Promise.reject(abortError(signal));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiter = null;
        this.destroy();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = (r) => {
        signal.removeEventListener('abort', onAbort);
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
    });
  }

  /** Sends one command line (CRLF added) and reads its reply. */
  async command(line: string, signal: AbortSignal): Promise<SmtpReply> {
    // A 421 the server sent unasked before closing (Postfix at its error limit, RFC 5321 3.8)
    // is its answer to whatever comes next: read it rather than report a dropped connection.
    if (this.awaiting.length === 0 && this.replies[0]?.code === 421)
      return this.replies.shift() as SmtpReply;
    this.send([line]);
    return this.read(signal);
  }

  /**
   * Sends command lines in one write without reading (RFC 2920 PIPELINING, when the server
   * offered it; one line otherwise): read() then returns their replies, one each, in order.
   */
  send(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.failure) throw this.failure;
    for (const line of lines) this.awaiting.push(line.split(' ', 1)[0]!);
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /**
   * RFC 3207 STARTTLS, after the server's 220. Opportunistic (RFC 7435): the certificate is
   * not verified, as an MTA does when no MTA-STS/DANE policy applies; a probe only needs privacy
   * against passive observers.
   */
  async upgrade(servername: string | undefined, signal: AbortSignal): Promise<void> {
    const raw = this.socket;
    this.detach(raw);
    // RFC 3207 4.2 / CVE-2011-0411: whatever arrived in plain text after the 220 (whole replies,
    // a partial line) was not protected by TLS and may have been injected: drop it all, so that
    // the only replies read from here on come through the TLS channel.
    this.replies.length = 0;
    this.pending = Buffer.alloc(0);
    this.assembler = new ReplyAssembler();
    raw.on('error', () => undefined); // the TLS socket reports it; never an unhandled 'error'
    const secure = tls.connect({
      socket: raw,
      servername: servername && !net.isIP(servername) ? servername : undefined,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
    });
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        signal.removeEventListener('abort', onAbort);
        secure.removeListener('secureConnect', onOk);
        secure.removeListener('error', onErr);
        if (err) reject(err);
        else resolve();
      };
      const onOk = () => done();
      const onErr = (e: Error) => {
        secure.destroy();
        done(new SmtpTlsError(`TLS handshake failed: ${e.message}`));
      };
      const onAbort = () => {
        secure.destroy();
        done(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      secure.once('secureConnect', onOk);
      secure.once('error', onErr);
    });
    this.attach(secure);
    this.tls = true;
  }

  /**
   * Polite goodbye (RFC 5321 4.1.1.10). QUIT is sent at once; the promise settles when the 221
   * arrives, the server closes, `waitMs` passes or `signal` fires, and the socket is closed then.
   * Nothing learnt waits for it: a caller holding a connection slot releases it when it settles.
   */
  quit(waitMs = 1000, signal?: AbortSignal): Promise<void> {
    if (this.failure) return Promise.resolve();
    const wait = new Deadline(waitMs, [signal], () => new Error('no answer to QUIT'));
    const until = wait.signal;
    // Replies still owed to pipelined commands left unread come first, then the 221.
    const owed = this.awaiting.length;
    const goodbye = async () => {
      if (owed === 0) await this.command('QUIT', until);
      else {
        this.send(['QUIT']);
        for (let n = 0; n <= owed; n++) await this.read(until);
      }
    };
    const done = () => {
      wait.dispose();
      this.destroy();
    };
    // the server may close first; either way we are done
    return goodbye().then(done, done);
  }

  destroy(): void {
    this.failure ??= new SmtpClosedError('connection closed by the client');
    this.socket.destroy();
  }
}

/**
 * A SOCKS5 CONNECT (RFC 1928, user/password RFC 1929) to the MX address, with the `socks`
 * package. Whatever goes wrong (proxy down, authentication refused, the proxy's rules refusing
 * the port, the proxy unable to reach the host) is an SmtpConnectError naming the proxy.
 */
async function connectThroughProxy(
  opts: ConnectOptions,
  proxy: ProxyConfig,
): Promise<SmtpConnection> {
  const { signal } = opts;
  const attempt = SocksClient.createConnection({
    proxy: {
      host: proxy.host,
      port: proxy.port,
      type: 5,
      ...(proxy.userId !== undefined ? { userId: proxy.userId } : {}),
      ...(proxy.password !== undefined ? { password: proxy.password } : {}),
    },
    command: 'connect',
    destination: { host: opts.host, port: opts.port },
    timeout: opts.connectTimeoutMs,
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const { socket } = await Promise.race([attempt, aborted]);
    socket.setNoDelay(true);
    return SmtpConnection.over(socket);
  } catch (err) {
    if (signal.aborted) {
      attempt.then(({ socket }) => socket.destroy()).catch(() => undefined);
      throw abortError(signal);
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new SmtpConnectError(`proxy ${proxy.name}: ${message}`, 'EPROXY', proxy.name);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
