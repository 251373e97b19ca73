import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, useHarness, useAccount } from '../../support/harness.ts';
import { spawnApi, stopProcess } from '../../support/processes.ts';

// Errors a user meets by mistake: the wrong method, a misspelt query parameter, malformed HTTP,
// a huge bad request. Each is an envelope that says what to do, with the request id to quote.
let proc: { url: string; child: ChildProcess };
const h = useHarness({}, { timeout: 120_000 });
const account = useAccount(h, 'business');
beforeAll(async () => {
  // Node's parser errors never reach the app: they are tried on a real `npm run start:api` process.
  proc = await spawnApi(h.processEnv(), 100_000);
}, 120_000);
afterAll(async () => {
  if (proc) await stopProcess(proc.child);
});

/** Sends raw bytes and returns everything the server answers until it closes. */
function raw(url: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

function parse(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]);
  return { status, head: head!, json: JSON.parse(body!) };
}

describe('the wrong method on a known path', () => {
  it('when GET /v1/validate?email=… is sent, then it is a 405 naming POST in Allow and in the envelope, with the request id', async () => {
    const res = await api(h.url, account.live)('GET', '/v1/validate?email=ann@example.com');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.json.error).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      details: { allow: ['POST'] },
      request_id: res.headers.get('x-request-id'),
    });
    expect(res.json.error.message).toMatch(/GET is not allowed on \/v1\/validate/);
  });

  it('when DELETE /v1/account is sent without a key, then it is still the 405 (the path is public knowledge), and GET /v1/jobs/:id answers GET, HEAD, DELETE', async () => {
    const res = await api(h.url)('DELETE', '/v1/account');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const job = await api(h.url, account.live)('PUT', '/v1/jobs/job_123');
    expect(job.status).toBe(405);
    expect(job.headers.get('allow')).toBe('GET, HEAD, DELETE');
  });

  it('when a path is unknown, then it is still a 404 with the request id', async () => {
    const res = await api(h.url, account.live)('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error.request_id).toBe(res.headers.get('x-request-id'));
  });
});

describe('unknown query parameters on list routes', () => {
  it('when GET /v1/jobs gets a misspelt parameter, then it is a 400 naming it and the ones the route takes', async () => {
    const res = await api(h.url, account.live)('GET', '/v1/jobs?limt=5&limit=2');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_ERROR');
    expect(res.json.error.message).toBe('Unknown query parameter: limt.');
    expect(res.json.error.details.fields.limt[0]).toMatch(/limit, starting_after/);
  });

  it('when results get stauts=risky, then it is a 400, not every row unfiltered; api_key is accepted everywhere', async () => {
    const job = await api(h.url, account.test)('POST', '/v1/jobs', { emails: ['a@example.com'] });
    expect(job.status).toBe(201);
    const res = await api(h.url)(
      'GET',
      `/v1/jobs/${job.json.id}/results?stauts=risky&api_key=${account.test}`,
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.error.details.fields)).toEqual(['stauts']);
    const ok = await api(h.url)('GET', `/v1/jobs/${job.json.id}/results?api_key=${account.test}`);
    expect(ok.status).toBe(200);
  });
});

describe('field maps are capped', () => {
  it('when 5,000 entries of a list are bad, then the body lists the first 100 and counts the rest, and is smaller than the request', async () => {
    const emails = Array.from({ length: 5000 }, () => '');
    const body = JSON.stringify({ emails });
    const res = await api(h.url, account.live)('POST', '/v1/jobs', body, {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
    const fields = res.json.error.details.fields as Record<string, Record<string, string[]>>;
    const listed = Object.values(fields).reduce(
      (n, v) => n + (Array.isArray(v) ? 1 : Object.keys(v).length),
      0,
    );
    expect(listed).toBe(100);
    expect(res.json.error.details.fields_omitted).toBe(4900);
    expect(res.text.length).toBeLessThan(body.length);
  });
});

describe("Node's own refusals, on a real API process", () => {
  it('when the request line is not HTTP, then the 400 is the JSON envelope with a request id', async () => {
    const answer = parse(
      await raw(proc.url, 'GET /v1/account HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
    );
    expect(answer.status).toBe(400);
    expect(answer.head).toMatch(/content-type: application\/json/i);
    expect(answer.json.error.code).toBe('MALFORMED_REQUEST');
    expect(answer.head).toContain(`X-Request-Id: ${answer.json.error.request_id}`);
    expect(answer.json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('when the headers are larger than 16 KB, then the 431 is the envelope', async () => {
    const answer = parse(
      await raw(
        proc.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    expect(answer.status).toBe(431);
    expect(answer.json.error).toMatchObject({
      code: 'REQUEST_HEADERS_TOO_LARGE',
      details: { maximum: 16384 },
    });
  });

  it('when Expect asks for something other than 100-continue, then the 417 is the envelope', async () => {
    const answer = parse(
      await raw(
        proc.url,
        'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n',
      ),
    );
    expect(answer.status).toBe(417);
    expect(answer.json.error.code).toBe('EXPECTATION_FAILED');
    expect(answer.json.error.message).toContain('100-continue');
  });

  it('when the request is well-formed, then the same socket path answers normally (the handler only speaks for refusals)', async () => {
    const answer = await raw(
      proc.url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});
