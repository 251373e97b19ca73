import type { z } from 'zod';
import type { Scope } from '../../domain/accounts/keys.ts';
import { jobResourceSchema } from '../../domain/jobs/job-resource.ts';
import type { ErrorCode } from '../../domain/errors.ts';
import { diagnosticsSchema } from '../schemas/diagnostics.responses.ts';
import {
  accountBody,
  accountPlanBody,
  creditsBody,
  keyBody,
  keyStateBody,
  listAccountsQuery,
} from '../schemas/admin.schemas.ts';
import {
  accountListSchema,
  keyListSchema,
  accountPlanSchema,
  balanceSchema,
  createdAccountSchema,
  createdKeySchema,
  healthSchema,
  keyStateSchema,
  readySchema,
  rotatedSecretSchema,
} from '../schemas/admin.responses.ts';
import {
  jobListSchema,
  jobSummarySchema,
  resultPageSchema,
  webhookAttemptListSchema,
} from '../schemas/jobs.responses.ts';
import {
  createJobFormSchema,
  createJobJsonSchema,
  downloadQuerySchema,
  listJobsQuerySchema,
  resultsQuerySchema,
} from '../schemas/jobs.schemas.ts';
import {
  accountSchema,
  batchResponseSchema,
  enrichmentSchema,
  validateResponseSchema,
} from '../schemas/validate.responses.ts';
import {
  batchBodySchema,
  enrichmentQuerySchema,
  validateBodySchema,
} from '../schemas/validate.schemas.ts';

/** A request body: its zod schema and the component name it gets in the document. */
export interface NamedBody {
  name: string;
  schema: z.ZodType;
  example?: unknown;
}

export interface Success {
  status: 200 | 201 | 204;
  description: string;
  /** A JSON body: a zod schema registered with an id (`.meta({ id })`). */
  json?: z.ZodType;
  /** Any other body: its media type and a JSON Schema of it. */
  other?: { type: string; schema: Record<string, unknown>; example?: string };
  /** Names of `components.headers` this answer sets. */
  headers?: string[];
}

export type Auth = { kind: 'key'; scope: Scope } | { kind: 'admin' } | { kind: 'none' };

/** One route of API.md, as the OpenAPI document describes it. */
export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template (`{id}`). */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  idempotencyKey?: boolean;
  body?: { json?: NamedBody; multipart?: NamedBody };
  success: Success;
  /**
   * The error codes this route can answer beyond those its `auth` implies; their statuses come
   * from the one table in http/middleware/error-status.ts.
   */
  errors: ErrorCode[];
}

/** The codes every route behind a given kind of authentication can answer. */
export const authErrors: Record<Auth['kind'], ErrorCode[]> = {
  key: [
    'MISSING_API_KEY',
    'INVALID_API_KEY',
    'API_KEY_DISABLED',
    'API_KEY_EXPIRED',
    'IP_NOT_ALLOWED',
    'INSUFFICIENT_SCOPE',
    'RATE_LIMIT_EXCEEDED',
    'DAILY_LIMIT_EXCEEDED',
    'INTERNAL_ERROR',
    'SERVICE_UNAVAILABLE',
  ],
  // With no ADMIN_TOKEN set the admin routes do not exist: 404.
  admin: ['INVALID_API_KEY', 'NOT_FOUND', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'],
  none: ['INTERNAL_ERROR'],
};

const jobId = { id: 'The job id (`job_…`).' };
const accountId = { id: 'The account id (`acct_…`).' };
const read: Auth = { kind: 'key', scope: 'validate:read' };
const write: Auth = { kind: 'key', scope: 'validate:write' };
const admin: Auth = { kind: 'admin' };
const none: Auth = { kind: 'none' };
const adminBodyErrors: ErrorCode[] = ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE'];
const syncErrors: ErrorCode[] = [
  'VALIDATION_ERROR',
  'MISSING_EMAIL',
  'INVALID_EMAIL',
  'INSUFFICIENT_CREDITS',
  'FEATURE_NOT_AVAILABLE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'QUOTA_EXCEEDED',
  'GRACE_PERIOD_EXCEEDED',
  'VALIDATION_TIMEOUT',
];

export const operations: Operation[] = [
  {
    method: 'post',
    path: '/v1/jobs',
    operationId: 'createJob',
    tag: 'Jobs',
    summary: 'Create a job from a CSV upload or a list of addresses',
    description:
      'Answers at once (201) with the job; validation runs in the background. Credits are ' +
      'reserved now: one per unique address with valid syntax (402 if the wallet cannot cover ' +
      'it). With `Idempotency-Key`, the same request returns the same job and charges once.',
    auth: write,
    idempotencyKey: true,
    body: {
      json: {
        name: 'CreateJobJson',
        schema: createJobJsonSchema,
        example: {
          emails: ['a@example.com', 'b@example.org'],
          name: 'March leads',
          webhook_url: 'https://hooks.example.com/mailsift',
          smtp: true,
          quick_mode: false,
        },
      },
      multipart: { name: 'CreateJobForm', schema: createJobFormSchema },
    },
    success: {
      status: 201,
      description: 'The job, queued.',
      json: jobResourceSchema,
      headers: ['Location'],
    },
    errors: [
      'VALIDATION_ERROR',
      'MISSING_INPUT',
      'INVALID_CSV',
      'INSUFFICIENT_CREDITS',
      'FEATURE_NOT_AVAILABLE',
      'IDEMPOTENCY_CONFLICT',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'QUOTA_EXCEEDED',
      'GRACE_PERIOD_EXCEEDED',
    ],
  },
  {
    method: 'get',
    path: '/v1/jobs',
    operationId: 'listJobs',
    tag: 'Jobs',
    summary: "List the account's jobs, newest first",
    auth: read,
    query: listJobsQuerySchema,
    success: { status: 200, description: 'One page of jobs.', json: jobListSchema },
    // NOT_FOUND: `starting_after` names a job that does not exist (or is another account's).
    errors: ['VALIDATION_ERROR', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    operationId: 'getJob',
    tag: 'Jobs',
    summary: 'Get a job',
    description: 'A job of another account is 404, exactly like one that never existed.',
    auth: read,
    pathParams: jobId,
    success: { status: 200, description: 'The job.', json: jobResourceSchema },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/v1/jobs/{id}',
    operationId: 'deleteJob',
    tag: 'Jobs',
    summary: 'Delete a job',
    description:
      'Stops the work, refunds what was not processed and deletes the results; then the job is 404.',
    auth: write,
    pathParams: jobId,
    success: { status: 204, description: 'Deleted.' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/results',
    operationId: 'listJobResults',
    tag: 'Jobs',
    summary: "A page of a job's results, in input order",
    description: 'Partial while the job runs: only addresses that have a verdict are listed.',
    auth: read,
    pathParams: jobId,
    query: resultsQuerySchema,
    success: { status: 200, description: 'One page of results.', json: resultPageSchema },
    errors: ['VALIDATION_ERROR', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/results.csv',
    operationId: 'downloadJobResults',
    tag: 'Jobs',
    summary: 'Download the results as CSV',
    description:
      "Streamed: the uploaded file's own columns in its own row order, with `mailsift_status`, " +
      '`mailsift_reason`, `mailsift_did_you_mean`, … appended. Cells starting with `= + - @`, tab ' +
      'or CR are escaped against formula injection.',
    auth: read,
    pathParams: jobId,
    query: downloadQuerySchema,
    success: {
      status: 200,
      description: 'The CSV file.',
      other: {
        type: 'text/csv',
        schema: { type: 'string' },
        example:
          'email,mailsift_status,mailsift_reason\nalice@example.com,deliverable,accepted_email\n',
      },
      headers: ['Content-Disposition'],
    },
    errors: ['VALIDATION_ERROR', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/summary',
    operationId: 'getJobSummary',
    tag: 'Jobs',
    summary: "A job's counts per status and per reason",
    description: 'What the web page charts. Partial while the job runs.',
    auth: read,
    pathParams: jobId,
    success: { status: 200, description: 'The counts.', json: jobSummarySchema },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/webhooks',
    operationId: 'listJobWebhookAttempts',
    tag: 'Jobs',
    summary: "The delivery attempts of a job's webhook",
    auth: read,
    pathParams: jobId,
    success: {
      status: 200,
      description: 'Every attempt, oldest first.',
      json: webhookAttemptListSchema,
    },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v1/validate',
    operationId: 'validateEmail',
    tag: 'Validation',
    summary: 'Validate one address now',
    description:
      'Bounded by a 30 s deadline (500 VALIDATION_TIMEOUT: retry with `quick_mode: true`).',
    auth: write,
    body: {
      json: {
        name: 'ValidateRequest',
        schema: validateBodySchema,
        example: { email: 'alice@example.com', quick_mode: false },
      },
    },
    success: { status: 200, description: 'The verdict.', json: validateResponseSchema },
    errors: syncErrors,
  },
  {
    method: 'post',
    path: '/v1/validate/batch',
    operationId: 'validateBatch',
    tag: 'Validation',
    summary: 'Validate up to 100 addresses now',
    auth: write,
    body: {
      json: {
        name: 'BatchRequest',
        schema: batchBodySchema,
        example: { emails: ['alice@example.com', 'bob@example.org'], quick_mode: true },
      },
    },
    success: {
      status: 200,
      description: 'One verdict per address, in order.',
      json: batchResponseSchema,
    },
    errors: [...syncErrors, 'BATCH_EMPTY', 'BATCH_TOO_LARGE'],
  },
  {
    method: 'get',
    path: '/v1/account',
    operationId: 'getAccount',
    tag: 'Account',
    summary: 'The account, its credits and usage',
    auth: read,
    success: { status: 200, description: 'The account.', json: accountSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/v1/enrichment',
    operationId: 'getEnrichment',
    tag: 'Account',
    summary: 'What the account already knows of an address (free)',
    description: 'Never seen: 200 with `status: not_found`; no credit is charged either way.',
    auth: read,
    query: enrichmentQuerySchema,
    success: { status: 200, description: 'Found or not found.', json: enrichmentSchema },
    errors: ['MISSING_EMAIL', 'INVALID_EMAIL'],
  },
  {
    method: 'post',
    path: '/admin/accounts',
    operationId: 'adminCreateAccount',
    tag: 'Admin',
    summary: 'Create an account with a live and a test key',
    auth: admin,
    body: { json: { name: 'AdminCreateAccount', schema: accountBody } },
    success: { status: 201, description: 'The account and its keys.', json: createdAccountSchema },
    errors: adminBodyErrors,
  },
  {
    method: 'get',
    path: '/admin/accounts',
    operationId: 'adminListAccounts',
    tag: 'Admin',
    summary: 'List accounts, newest first',
    auth: admin,
    query: listAccountsQuery,
    success: { status: 200, description: 'A page of accounts.', json: accountListSchema },
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/admin/accounts/{id}/keys',
    operationId: 'adminListKeys',
    tag: 'Admin',
    summary: "List an account's API keys (ids and prefixes; keys are never stored)",
    auth: admin,
    pathParams: accountId,
    success: { status: 200, description: 'The keys, oldest first.', json: keyListSchema },
    errors: [],
  },
  {
    method: 'post',
    path: '/admin/accounts/{id}/keys',
    operationId: 'adminCreateKey',
    tag: 'Admin',
    summary: 'Create an API key',
    auth: admin,
    pathParams: accountId,
    body: { json: { name: 'AdminCreateKey', schema: keyBody } },
    success: { status: 201, description: 'The key, shown once.', json: createdKeySchema },
    errors: adminBodyErrors,
  },
  {
    method: 'patch',
    path: '/admin/keys/{id}',
    operationId: 'adminUpdateKey',
    tag: 'Admin',
    summary: 'Disable (or re-enable) an API key',
    auth: admin,
    pathParams: { id: 'The key id (`key_…`).' },
    body: { json: { name: 'AdminUpdateKey', schema: keyStateBody } },
    success: { status: 200, description: 'The key state.', json: keyStateSchema },
    errors: adminBodyErrors,
  },
  {
    method: 'post',
    path: '/admin/accounts/{id}/credits',
    operationId: 'adminAddCredits',
    tag: 'Admin',
    summary: 'Add (or, negative, remove) credits',
    auth: admin,
    pathParams: accountId,
    body: { json: { name: 'AdminAddCredits', schema: creditsBody } },
    success: { status: 200, description: 'The new balance.', json: balanceSchema },
    errors: adminBodyErrors,
  },
  {
    method: 'post',
    path: '/admin/accounts/{id}/webhook-secret/rotate',
    operationId: 'adminRotateWebhookSecret',
    tag: 'Admin',
    summary: "Rotate the account's webhook secret",
    description: 'The previous secret keeps signing next to the new one for 24 hours.',
    auth: admin,
    pathParams: accountId,
    success: { status: 200, description: 'The new secret.', json: rotatedSecretSchema },
    errors: [],
  },
  {
    method: 'patch',
    path: '/admin/accounts/{id}',
    operationId: 'adminUpdateAccountPlan',
    tag: 'Admin',
    summary: "Change an account's plan or give it its own monthly quota (custom plan)",
    description:
      "`monthly_quota` replaces the plan's quota for this account (rates, grace and SMTP stay the plan's); `null` returns it to the plan's.",
    auth: admin,
    pathParams: accountId,
    body: { json: { name: 'AdminUpdateAccountPlan', schema: accountPlanBody } },
    success: { status: 200, description: 'The plan and quota in force.', json: accountPlanSchema },
    errors: adminBodyErrors,
  },
  {
    method: 'get',
    path: '/admin/diagnostics',
    operationId: 'adminDiagnostics',
    tag: 'Admin',
    summary: "The probing host's self-check: resolver, port 25, reverse DNS, blocklists",
    description:
      'The latest self-check (run at start and every DIAGNOSTICS_INTERVAL_MS), or a fresh one when none is recent or `refresh=true`. docs/network.md.',
    auth: admin,
    success: { status: 200, description: 'Every check and its status.', json: diagnosticsSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tag: 'Operations',
    summary: 'Liveness: 200 while the process lives',
    auth: none,
    success: { status: 200, description: 'Alive.', json: healthSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tag: 'Operations',
    summary: 'Readiness: 200 only when Redis and Postgres answer',
    auth: none,
    success: { status: 200, description: 'Ready.', json: readySchema },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description:
      'Open unless the operator sets METRICS_TOKEN; then `Authorization: Bearer <METRICS_TOKEN>` is required (401 otherwise).',
    auth: none,
    success: {
      status: 200,
      description: 'Prometheus text exposition format.',
      other: {
        type: 'text/plain',
        schema: { type: 'string' },
        example: '# TYPE mailsift_http_requests_total counter\n',
      },
    },
    errors: ['INVALID_API_KEY'],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: 'Reference',
    summary: 'This document',
    auth: none,
    success: {
      status: 200,
      description: 'The OpenAPI 3.1 document.',
      other: { type: 'application/json', schema: { type: 'object' } },
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: 'Reference',
    summary: 'This document, rendered (Swagger UI)',
    auth: none,
    success: {
      status: 200,
      description: 'An HTML page; its scripts and styles come from /docs/assets.',
      other: { type: 'text/html', schema: { type: 'string' } },
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/',
    operationId: 'webPage',
    tag: 'Reference',
    summary: 'The web page for cleaning a list (README "Web page")',
    auth: none,
    success: {
      status: 200,
      description: 'The page; its script and style come from /assets.',
      other: { type: 'text/html', schema: { type: 'string' } },
    },
    // NOT_FOUND: the page is not built (npm run build:web).
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/favicon.svg',
    operationId: 'webIcon',
    tag: 'Reference',
    summary: "The web page's icon",
    auth: none,
    success: {
      status: 200,
      description: 'The icon.',
      other: { type: 'image/svg+xml', schema: { type: 'string' } },
    },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/assets/{file}',
    operationId: 'webAsset',
    tag: 'Reference',
    summary: 'A script or style sheet of the web page (content-hashed names)',
    auth: none,
    pathParams: { file: 'A file name of the built page.' },
    success: {
      status: 200,
      description: 'The file.',
      other: { type: '*/*', schema: { type: 'string' } },
    },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/docs/assets/{file}',
    operationId: 'docsAsset',
    tag: 'Reference',
    summary: 'A script, style sheet or image of the rendered reference',
    auth: none,
    pathParams: { file: 'A file name of the swagger-ui-dist package, or `init.js`.' },
    success: {
      status: 200,
      description: 'The file.',
      other: { type: '*/*', schema: { type: 'string' } },
    },
    errors: ['NOT_FOUND'],
  },
];
