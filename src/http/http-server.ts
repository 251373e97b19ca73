import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../domain/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { statusOf } from './middleware/error-status.ts';
import { envelope } from './middleware/envelope.ts';

/** Node's default limit of all request headers together (`--max-http-header-size`). */
const MAX_HEADER_BYTES = 16_384;

function classify(err: NodeJS.ErrnoException): [ErrorCode, string, Record<string, unknown>?] {
  switch (err.code ?? '') {
    case 'HPE_HEADER_OVERFLOW':
      return [
        'REQUEST_HEADERS_TOO_LARGE',
        `The request headers are larger than ${MAX_HEADER_BYTES} bytes.`,
        { maximum: MAX_HEADER_BYTES },
      ];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['REQUEST_TIMEOUT', 'The request was not received in full in time.'];
    default:
      return [
        'MALFORMED_REQUEST',
        `The request is not valid HTTP/1.1${err.code?.startsWith('HPE_') ? ` (${err.code})` : ''}.`,
      ];
  }
}

function rawResponse(code: ErrorCode, message: string, details?: Record<string, unknown>): string {
  const status = statusOf[code];
  const id = `req_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify(envelope(code, message, details, id));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${id}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Answers in API.md's envelope what Node's HTTP parser refuses before the app sees a request
 * (malformed HTTP 400, headers over the limit 431, a request too slow 408) and an `Expect`
 * other than 100-continue (417). Node's own answers are plain text.
 */
export function answerClientErrors(server: Server, logger: Logger): Server {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Nothing to answer on a socket the client closed, or one already mid-response.
    const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || busy?.headersSent) {
      socket.destroy();
      return;
    }
    const [code, message, details] = classify(err);
    logger.info({ err: err.message, code: err.code, status: statusOf[code] }, 'client error');
    socket.end(rawResponse(code, message, details));
  });
  server.on('checkExpectation', (req, res) => {
    const body = JSON.stringify(
      envelope(
        'EXPECTATION_FAILED',
        `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; only 'Expect: 100-continue' is.`,
      ),
    );
    res.writeHead(statusOf.EXPECTATION_FAILED, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
    });
    res.end(body);
  });
  return server;
}

/** The HTTP server of a process: the app, the envelope for the parser's refusals. */
export function createHttpServer(app: RequestListener, logger: Logger): Server {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  return answerClientErrors(server, logger);
}

/**
 * What the server really listens on, in words: every interface (`::` / `0.0.0.0`) is said so,
 * with the loopback URL to open; a given HOST is shown as it is.
 */
export function describeListen(
  server: Server,
  port: number,
): { address: string; url: string; text: string } {
  const bound = server.address();
  const address = bound && typeof bound === 'object' ? bound.address : '';
  const actualPort = bound && typeof bound === 'object' ? bound.port : port;
  if (address === '::' || address === '0.0.0.0' || address === '') {
    const url = `http://127.0.0.1:${actualPort}`;
    return {
      address,
      url,
      text: `every interface, port ${actualPort} (${url} here; set HOST=127.0.0.1 to keep it local)`,
    };
  }
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${actualPort}`;
  return { address, url, text: `${url} only (HOST=${address})` };
}

/** Listens on PORT (and HOST); a port taken or not allowed is one line and exit 69, not a trace. */
export function listenOrExit(
  server: Server,
  config: { port: number; host: string | null },
  onListening: () => void,
): void {
  server.once('error', (err: NodeJS.ErrnoException) => {
    const where = `${config.host ?? 'every interface'}, port ${config.port}`;
    const why =
      err.code === 'EADDRINUSE'
        ? 'another process listens there; stop it or set PORT'
        : err.code === 'EADDRNOTAVAIL'
          ? 'no interface of this machine has that address; fix HOST'
          : err.message;
    process.stderr.write(`mailsift: cannot listen on ${where}: ${why}.\n`);
    process.exit(69);
  });
  server.listen(config.port, config.host ?? undefined, onListening);
}
