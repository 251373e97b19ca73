import {
  ApiError,
  AuthenticationError,
  ConflictError,
  InsufficientCreditsError,
  NetworkError,
  NotFoundError,
  PermissionError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
  ValidationInputError,
  ValidationTimeoutError,
} from '../sdk/src/index.ts';

/** The documented exit codes (README "The mailsift command"). */
export const EXIT = { ok: 0, usage: 1, api: 2, network: 3, interrupted: 130 } as const;

/** A mistake in how the command was called: exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Ctrl-C: the reason the command's AbortSignal carries. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Where a command writes: bars only on a terminal; with --json, stdout holds only JSON. */
export class Output {
  readonly json: boolean;
  readonly tty: boolean;
  constructor(json: boolean) {
    this.json = json;
    this.tty = !json && !!process.stdout.isTTY && !!process.stderr.isTTY;
  }
  /** A human line: stdout normally, stderr under --json (stdout is for the JSON then). */
  line(text: string): void {
    (this.json ? process.stderr : process.stdout).write(`${text}\n`);
  }
  /** The machine-readable answer of a command (under --json). */
  data(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

function hint(err: ApiError): string {
  if (err instanceof AuthenticationError) return 'Check --key or MAILSIFT_API_KEY.';
  if (err instanceof InsufficientCreditsError) {
    return `Add credits to the account (needed ${err.required ?? '?'}, balance ${err.balance ?? '?'}).`;
  }
  if (err instanceof PermissionError) {
    if (err.code === 'FEATURE_NOT_AVAILABLE')
      return 'Your plan lacks this feature: leave it out or upgrade the plan.';
    if (err.code === 'IP_NOT_ALLOWED') return "Call from an address in the key's IP allowlist.";
    return 'Use a key with the scope this needs.';
  }
  if (err instanceof NotFoundError) return 'Check the id (mailsift jobs list).';
  if (err instanceof ConflictError)
    return 'This Idempotency-Key was used for another request: use a new one.';
  if (err instanceof ValidationInputError) {
    return Object.keys(err.fields).length > 0
      ? `Fix: ${JSON.stringify(err.fields)}`
      : 'Fix the input and try again.';
  }
  if (err instanceof RateLimitError) return `Wait ${err.retryAfter ?? 60} s and try again.`;
  if (err instanceof QuotaExceededError) {
    return err.resetsAt
      ? `The allowance starts again at ${err.resetsAt}.`
      : 'Upgrade the plan or wait for next month.';
  }
  if (err instanceof ValidationTimeoutError) return 'Try again with --quick.';
  if (err instanceof ServiceUnavailableError)
    return 'The service is degraded: try again in a few seconds.';
  return err.requestId
    ? `Try again; if it persists, quote request id ${err.requestId}.`
    : 'Try again.';
}

/** One human line for an error, and the exit code it gets. Never a stack trace. */
export function describeError(
  err: unknown,
  url: string,
): { line: string; exit: number; json: unknown } {
  if (err instanceof UsageError) {
    return {
      line: `mailsift: ${oneLine(err.message)} (see mailsift --help)`,
      exit: EXIT.usage,
      json: { code: 'USAGE', message: err.message },
    };
  }
  if (err instanceof TimeoutError || err instanceof NetworkError) {
    const what = err instanceof TimeoutError ? 'no answer in time' : 'could not connect';
    return {
      line: `mailsift: error ${err.code}: ${oneLine(err.message)} (${what}). Check --url or MAILSIFT_URL (${url}) and that the service runs.`,
      exit: EXIT.network,
      json: { code: err.code, message: err.message },
    };
  }
  if (err instanceof ApiError) {
    return {
      line: `mailsift: error ${err.code} (HTTP ${err.status}): ${oneLine(err.message)} ${hint(err)}`,
      exit: EXIT.api,
      json: {
        code: err.code,
        status: err.status,
        message: err.message,
        details: err.details,
        request_id: err.requestId,
      },
    };
  }
  const e = err as { code?: unknown; message?: unknown; path?: unknown };
  if (typeof e?.code === 'string' && typeof e.path === 'string') {
    // A file the command was given cannot be read or written.
    return {
      line: `mailsift: ${e.code}: cannot use ${e.path}`,
      exit: EXIT.usage,
      json: { code: e.code, message: String(e.message) },
    };
  }
  return {
    line: `mailsift: ${oneLine(String(e?.message ?? err))}`,
    exit: EXIT.usage,
    json: { code: 'ERROR', message: String(e?.message ?? err) },
  };
}

const UNITS = ['B', 'KB', 'MB', 'GB'];
export function bytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`;
}
