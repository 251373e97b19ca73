import { describe, expect, it } from 'vitest';
import { OpenApiChecker, type RecordedResponse } from '../../support/openapi-checker.ts';

// The checker that every integration test's responses go through must be able to fail.
const checker = new OpenApiChecker();

const job = {
  id: 'job_4fKq8ZbX2mN7pR1sT9vW3yA5',
  object: 'job',
  name: null,
  source: 'emails',
  status: 'queued',
  total: 2,
  unique: 2,
  processed: 0,
  progress: 0,
  counts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 },
  credits_reserved: 2,
  credits_charged: 0,
  webhook_url: null,
  mode: 'test',
  smtp: false,
  quick_mode: false,
  created_at: '2026-01-15T10:30:00.000Z',
  started_at: null,
  completed_at: null,
  expires_at: null,
  warnings: [],
  links: {
    self: '/v1/jobs/job_4fKq8ZbX2mN7pR1sT9vW3yA5',
    results: '/v1/jobs/job_4fKq8ZbX2mN7pR1sT9vW3yA5/results',
    download: '/v1/jobs/job_4fKq8ZbX2mN7pR1sT9vW3yA5/results.csv',
  },
};

function response(
  method: string,
  url: string,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): RecordedResponse {
  return {
    method,
    url,
    status,
    headers: { 'x-request-id': 'req_1', 'content-type': 'application/json', ...headers },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

const envelope = (code: string) => ({
  error: { code, message: 'x' },
  timestamp: '2026-01-15T10:30:00.000Z',
});

describe('the OpenAPI response checker', () => {
  it('when a response is what the document describes, then it has no problem', () => {
    expect(checker.check(response('GET', `/v1/jobs/${job.id}`, 200, job))).toEqual([]);
    expect(
      checker.check(response('POST', '/v1/jobs', 201, job, { location: job.links.self })),
    ).toEqual([]);
    expect(checker.check(response('GET', '/nowhere', 404, envelope('NOT_FOUND')))).toEqual([]);
  });

  it('when a route answers a status the document does not list (418), then it names route and status', () => {
    const problems = checker.check(response('GET', `/v1/jobs/${job.id}`, 418, { tea: true }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('GET /v1/jobs/job_4fKq8ZbX2mN7pR1sT9vW3yA5 -> 418');
    expect(problems[0]).toContain('status 418 is not documented for GET /v1/jobs/{id}');
  });

  it('when a body has a wrong, missing or extra field, then the schema error is named', () => {
    const wrong = checker.check(
      response('GET', `/v1/jobs/${job.id}`, 200, { ...job, status: 'done' }),
    );
    expect(wrong.join()).toMatch(/GET \/v1\/jobs\/\{id\}.*\/status must be equal to one of/);
    const { progress: _p, ...missing } = job;
    expect(checker.check(response('GET', `/v1/jobs/${job.id}`, 200, missing)).join()).toContain(
      "must have required property 'progress'",
    );
    expect(
      checker.check(response('GET', `/v1/jobs/${job.id}`, 200, { ...job, secret: 1 })).join(),
    ).toContain('must NOT have additional properties');
  });

  it('when an error code is not in the set documented for the route, then it fails', () => {
    // 402 exists on POST /v1/jobs but not on GET /v1/jobs/{id}; 400 MISSING_INPUT only on create.
    expect(
      checker.check(response('GET', `/v1/jobs/${job.id}`, 402, envelope('INSUFFICIENT_CREDITS'))),
    ).toEqual([expect.stringContaining('status 402 is not documented')]);
    const problems = checker.check(response('GET', '/v1/jobs', 400, envelope('MISSING_INPUT')));
    expect(problems.join()).toContain(
      'error code MISSING_INPUT is not documented for GET /v1/jobs 400 (documented: VALIDATION_ERROR)',
    );
  });

  it('when the content type, a required header or the envelope is off, then it fails', () => {
    expect(
      checker.check(
        response('GET', `/v1/jobs/${job.id}`, 200, job, { 'content-type': 'text/html' }),
      ),
    ).toEqual([expect.stringContaining("content type 'text/html' is not documented")]);
    expect(checker.check(response('POST', '/v1/jobs', 201, job)).join()).toContain(
      'required header Location is missing',
    );
    const noId = response('GET', '/healthz', 200, { status: 'ok' });
    delete noId.headers['x-request-id'];
    expect(checker.check(noId).join()).toContain('required header X-Request-Id is missing');
    expect(checker.check(response('GET', '/nowhere', 200, 'hello')).join()).toContain(
      'an unknown route answered 200',
    );
    expect(checker.check(response('GET', '/nowhere', 404, { message: 'nope' })).join()).toContain(
      "must have required property 'error'",
    );
  });
});
