import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { withDeadline } from '../../lib/deadline.ts';
import {
  DestinationRefusedError,
  resolveDestination,
  type Destination,
  type Resolve,
} from './destination.ts';

export type SendOutcome =
  | { kind: 'response'; statusCode: number; retryAfter: string | null; durationMs: number }
  | { kind: 'error'; error: string; permanent: boolean; durationMs: number };

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: Resolve;
}

const USER_AGENT = 'mailsift-webhooks/1.0';

/** Error codes as words a customer can act on; the raw message may name internal addresses. */
const FRIENDLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EPIPE: 'connection closed while sending',
  HPE_INVALID_CONSTANT: 'invalid HTTP response',
};

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : null;
  if (code && FRIENDLY[code]) return `${FRIENDLY[code]} (${code})`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/i.test(code)) return `TLS error (${code})`;
  if (code) return `request failed (${code})`;
  if (typeof e.message === 'string' && e.message.includes('ENOTFOUND'))
    return 'DNS lookup failed (ENOTFOUND)';
  return 'request failed';
}

class TimeoutError extends Error {}

/**
 * A lookup that answers with the address that was checked, whatever it is asked: the socket goes
 * to that address, never to a second resolution (which DNS rebinding could point elsewhere).
 */
function pinnedLookup(dest: Destination): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: dest.address, family: dest.family }]);
    else callback(null, dest.address, dest.family);
  };
}

function post(
  dest: Destination,
  body: Buffer,
  headers: Record<string, string>,
  signal: AbortSignal,
  drainMs: number,
) {
  const { url } = dest;
  const isHttps = url.protocol === 'https:';
  return new Promise<{ statusCode: number; retryAfter: string | null }>((resolve, reject) => {
    const req = (isHttps ? https : http).request({
      method: 'POST',
      host: dest.host,
      port: url.port || (isHttps ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: {
        ...headers,
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
      },
      // No pooling: each attempt resolves and checks afresh, and no socket outlives its attempt.
      agent: false,
      lookup: pinnedLookup(dest),
      // TLS: SNI and certificate checks name the host, while the socket goes to the checked address.
      ...(isHttps && dest.host !== dest.address ? { servername: dest.host } : {}),
      signal,
    });
    req.on('response', (res) => {
      // Redirects are never followed: a 3xx is an answer like any other non-2xx.
      resolve({ statusCode: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ?? null });
      // The body is not needed; drain it so the socket closes, but never for longer than an attempt.
      const drain = setTimeout(() => res.destroy(), drainMs).unref();
      res.on('close', () => clearTimeout(drain));
      res.on('error', () => undefined);
      res.resume();
    });
    req.on('error', (err) => reject(signal.aborted ? new TimeoutError() : err));
    req.end(body);
  });
}

/**
 * One POST of a webhook, bounded by `timeoutMs` from the DNS lookup to the response headers.
 * Never throws: every way an attempt can end is an outcome to record.
 */
export async function sendWebhook(
  rawUrl: string,
  body: Buffer,
  headers: Record<string, string>,
  opts: SendOptions,
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  // One deadline from the DNS lookup to the response headers; past it the request is aborted.
  const attempt = async () => {
    const dest = await resolveDestination(rawUrl, {
      allowPrivate: opts.allowPrivate,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    });
    if (controller.signal.aborted) throw new TimeoutError(); // the lookup outlived the deadline
    return post(dest, body, headers, controller.signal, opts.timeoutMs);
  };
  try {
    const res = await withDeadline(attempt(), opts.timeoutMs, () => {
      controller.abort();
      throw new TimeoutError();
    });
    return { kind: 'response', ...res, durationMs: elapsed() };
  } catch (err) {
    if (err instanceof DestinationRefusedError) {
      return { kind: 'error', error: err.message, permanent: true, durationMs: elapsed() };
    }
    if (err instanceof TimeoutError) {
      return {
        kind: 'error',
        error: `timeout after ${opts.timeoutMs} ms`,
        permanent: false,
        durationMs: elapsed(),
      };
    }
    return { kind: 'error', error: describe(err), permanent: false, durationMs: elapsed() };
  }
}
