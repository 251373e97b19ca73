/**
 * The page's only way to the server: the public /v1 API on the same origin, the key in the
 * Authorization header (never in a URL).
 */

import { ApiError, type ErrorBody } from './api-error.ts';

export { ApiError };

export type Status = 'deliverable' | 'undeliverable' | 'risky' | 'unknown';
export const STATUSES: Status[] = ['deliverable', 'undeliverable', 'risky', 'unknown'];

export interface Account {
  id: string;
  name: string;
  plan: string;
  remaining_credits: number;
  usage: {
    today: number;
    month: number;
    monthly_quota: number;
    test_today?: number;
    test_daily_limit?: number;
  };
  key: { mode: 'live' | 'test'; scopes: string[]; expires_at: string | null };
  features?: { smtp: boolean };
}

export interface Job {
  id: string;
  name: string | null;
  status: 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
  total: number;
  unique: number;
  processed: number;
  progress: number;
  counts: Record<Status, number>;
  credits_reserved: number;
  credits_charged: number;
  webhook_url: string | null;
  mode: 'live' | 'test';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface Checks {
  syntax: boolean;
  domain: string | null;
  mx_found: boolean | null;
  mx_host: string | null;
  disposable: boolean;
  role: boolean;
  free: boolean;
  catch_all: boolean | null;
  smtp: { code: number | null; enhanced_code: string | null; message: string | null } | null;
}

export interface Result {
  index: number;
  email: string;
  normalized: string | null;
  status: Status;
  reason: string;
  did_you_mean: string | null;
  duplicate_of: number | null;
  checks: Checks | null;
}

export interface WebhookAttempt {
  id: string;
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: string | null;
  next_retry_at: string | null;
  success: boolean;
}

export interface Summary {
  job_id: string;
  counts: Record<Status, number>;
  reasons: { status: Status; reason: string; count: number }[];
}

const NETWORK: ErrorBody = { code: 'NETWORK', message: 'The server could not be reached.' };

function errorOf(status: number, text: string, retryAfter: string | null): ApiError {
  let body: ErrorBody = { code: 'HTTP_' + status, message: `The server answered ${status}.` };
  try {
    const parsed = JSON.parse(text) as { error?: ErrorBody };
    if (parsed.error?.code) body = parsed.error;
  } catch {
    // not the envelope: keep the generic body
  }
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  return new ApiError(status, body, seconds);
}

export function authHeaders(key: string): Record<string, string> {
  return { Authorization: `Bearer ${key}` };
}

/** One JSON call to /v1; resolves with the body (undefined for 204), rejects with an ApiError. */
export async function call<T>(
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers = authHeaders(key);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, NETWORK);
  }
  const text = await res.text();
  if (!res.ok) throw errorOf(res.status, text, res.headers.get('Retry-After'));
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A download through the API (the key in a header), handed to the browser as a file. */
export async function download(key: string, path: string, fallbackName: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(path, { headers: authHeaders(key), cache: 'no-store' });
  } catch {
    throw new ApiError(0, NETWORK);
  }
  if (!res.ok) throw errorOf(res.status, await res.text(), res.headers.get('Retry-After'));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return fallbackName;
}

/**
 * POST /v1/jobs with a file, through XMLHttpRequest: fetch cannot report upload progress, XHR's
 * upload events can (bytes sent of bytes to send).
 */
export function uploadJob(
  key: string,
  form: FormData,
  onProgress: (sent: number, total: number) => void,
): Promise<Job> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/jobs');
    for (const [k, v] of Object.entries(authHeaders(key))) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText) as Job);
      else reject(errorOf(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, NETWORK)));
    xhr.send(form);
  });
}
