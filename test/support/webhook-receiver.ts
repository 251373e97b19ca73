import { EventEmitter } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** How the receiver answers one request: a response, or never ('hang'). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw bytes, as a verifier must see them. */
  body: Buffer;
  /** Date.now() when the request arrived. */
  at: number;
  /** The TLS server name (SNI) the client sent, on an https receiver. */
  servername?: string;
}

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** On an https receiver: the SNI of every handshake begun, also those the client gave up. */
  handshakes: string[];
  /** Resolves once `n` requests have arrived, within a bound. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops listening (the port is then closed: connections are refused) ... */
  stop(): Promise<void>;
  /** ... and listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 that answers by script: `script(n)` decides the reply to the
 * n-th request (0-based). It records every request, raw body included. With `tls` (a key and
 * certificate in PEM) it speaks https.
 */
export async function startReceiver(
  script: (n: number) => Reply = () => ({ status: 200 }),
  tls?: { key: string; cert: string },
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const handshakes: string[] = [];
  const arrived = new EventEmitter();
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
        ...(tls ? { servername: String((req.socket as TLSSocket).servername) } : {}),
      });
      arrived.emit('request');
      const reply = script(n);
      if (reply === 'hang') return; // never answer; close() drops the socket
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? 'ok');
    });
  };
  const server = tls
    ? https.createServer(
        {
          ...tls,
          SNICallback: (name, done) => {
            handshakes.push(name);
            done(null);
          },
        },
        handler,
      )
    : http.createServer(handler);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };

  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    handshakes,
    waitForRequests(n, timeoutMs = 30_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice(0, n));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          arrived.off('request', check);
          reject(new Error(`timed out waiting for ${n} webhook requests (got ${requests.length})`));
        }, timeoutMs);
        function check() {
          if (requests.length < n) return;
          clearTimeout(timer);
          arrived.off('request', check);
          resolve(requests.slice(0, n));
        }
        arrived.on('request', check);
      });
    },
    stop,
    start: () => listen(port),
    async close() {
      if (server.listening) await stop();
    },
  };
}
