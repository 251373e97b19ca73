import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ErrorCode } from '../../domain/errors.ts';
import { statusOf } from '../middleware/error-status.ts';
import { errorEnvelopeSchema } from '../schemas/errors.responses.ts';
import { errorExamples } from './examples.ts';
import { authErrors, operations, type NamedBody, type Operation } from './operations.ts';

/**
 * The OpenAPI 3.1 document of the service, generated from the zod schemas the routes parse with
 * and the mappers return (one source of truth), the route table in ./operations.ts and the one
 * error-code -> status table of http/middleware/error-status.ts.
 */

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: Json & { schemas: Record<string, Json> };
};

const TARGET = 'draft-2020-12';
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function idOf(schema: z.ZodType): string {
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (!id) throw new Error('A response schema of the document needs .meta({ id })');
  return id;
}

/** A JSON Schema with the keywords that belong to a root document, not to a component, removed. */
function bare(schema: Json): Json {
  const { $schema: _s, $id: _i, id: _d, ...rest } = schema;
  return rest;
}

/** Every schema registered with an id (responses), as output. */
function responseComponents(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: TARGET,
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(schemas).map(([k, v]) => [k, bare(v)]));
}

/** A request schema as the client sends it (defaults optional, coerced strings as typed). */
function inputSchema(schema: z.ZodType): Json {
  return bare(z.toJSONSchema(schema, { target: TARGET, io: 'input', unrepresentable: 'any' }));
}

const reasons: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad request',
  401: 'Not authenticated',
  402: 'Not enough credits',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  429: 'Limit reached',
  500: 'Server error',
  503: 'Service unavailable',
};

const header = (description: string, schema: Json, required = false) => ({
  description,
  required,
  schema,
});

const headers = {
  'X-Request-Id': header(
    "This request's id (the caller's own X-Request-Id when it is 8-128 safe characters); logs carry it.",
    { type: 'string' },
    true,
  ),
  'X-RateLimit-Limit': header("Requests per minute of the key's plan.", { type: 'integer' }),
  'X-RateLimit-Remaining': header('Requests left in the current minute.', { type: 'integer' }),
  'X-RateLimit-Reset': header('When the current window ends (unix seconds).', {
    type: 'integer',
  }),
  'Retry-After': header('Seconds to wait before trying again.', { type: 'integer' }, true),
  Location: header('The URL of the created job.', { type: 'string' }, true),
  'Content-Disposition': header('`attachment; filename="…"`.', { type: 'string' }, true),
};
type HeaderName = keyof typeof headers;
const headerRefs = (names: HeaderName[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

const rateLimitHeaders: HeaderName[] = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/** Headers on every answer of a route; the request limits run after the key is known. */
function answerHeaders(op: Operation, status: number): HeaderName[] {
  const limited = op.auth.kind === 'key' && status !== 401;
  return ['X-Request-Id', ...(limited ? rateLimitHeaders : [])];
}

const keySchemes = ['ApiKeyToken', 'ApiKeyBearer', 'ApiKeyHeader', 'ApiKeyQuery'];
const securitySchemes = {
  ApiKeyToken: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`Authorization: Token <key>` (checked first).',
  },
  ApiKeyBearer: {
    type: 'http',
    scheme: 'bearer',
    description: '`Authorization: Bearer <key>`.',
  },
  ApiKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: '`X-API-Key: <key>`.',
  },
  ApiKeyQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'api_key',
    description:
      '`?api_key=<key>` (checked last; it ends up in logs and histories: prefer a header).',
  },
  AdminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer <ADMIN_TOKEN>`; without ADMIN_TOKEN the admin routes are 404.',
  },
};

function security(op: Operation): Json[] {
  switch (op.auth.kind) {
    case 'key':
      return keySchemes.map((s) => ({ [s]: [] }));
    case 'admin':
      return [{ AdminToken: [] }];
    case 'none':
      return [];
  }
}

function parameters(op: Operation): Json[] {
  const out: Json[] = Object.entries(op.pathParams ?? {}).map(([name, description]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }));
  if (op.query) {
    const q = inputSchema(op.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  if (op.idempotencyKey) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'The same key with the same request returns the same job (201, same id) without charging ' +
        'twice; with a different request, 409 IDEMPOTENCY_CONFLICT.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  return out;
}

function requestBody(op: Operation, named: Map<string, NamedBody>): Json | undefined {
  if (!op.body) return undefined;
  const content: Json = {};
  const add = (type: string, body: NamedBody | undefined) => {
    if (!body) return;
    named.set(body.name, body);
    content[type] = {
      schema: ref(body.name),
      ...(body.example === undefined ? {} : { example: body.example }),
    };
  };
  add('application/json', op.body.json);
  add('multipart/form-data', op.body.multipart);
  return { required: true, content };
}

/** The codes a route can answer, grouped by status. */
export function errorCodesByStatus(op: Operation): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...authErrors[op.auth.kind], ...op.errors])) {
    const status = statusOf[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

/**
 * The envelope with `error.code` narrowed to `codes`: a copy of the Error component rather
 * than an allOf, because the component's objects are closed (additionalProperties: false).
 */
function errorSchemaFor(codes: ErrorCode[], schemas: Record<string, Json>): Json {
  const envelope = structuredClone(schemas[idOf(errorEnvelopeSchema)]) as {
    properties: { error: { properties: Record<string, Json> } };
  };
  envelope.properties.error.properties.code = { type: 'string', enum: codes };
  const { description: _d, example: _e, ...schema } = envelope as Json;
  return schema;
}

function errorResponse(
  op: Operation,
  status: number,
  codes: ErrorCode[],
  schemas: Record<string, Json>,
): Json {
  const names = answerHeaders(op, status);
  if (status === 429 || status === 503) names.push('Retry-After');
  return {
    description: `${reasons[status] ?? 'Error'}: ${codes.join(', ')}.`,
    headers: headerRefs(names),
    content: {
      'application/json': {
        schema: errorSchemaFor(codes, schemas),
        examples: Object.fromEntries(codes.map((c) => [c, { value: errorExamples[c] }])),
      },
    },
  };
}

function successResponse(op: Operation): Json {
  const s = op.success;
  const content = s.json
    ? { 'application/json': { schema: ref(idOf(s.json)) } }
    : s.other
      ? {
          [s.other.type]: {
            schema: s.other.schema,
            ...(s.other.example ? { example: s.other.example } : {}),
          },
        }
      : undefined;
  return {
    description: s.description,
    headers: headerRefs([...answerHeaders(op, s.status), ...((s.headers ?? []) as HeaderName[])]),
    ...(content ? { content } : {}),
  };
}

function operationObject(
  op: Operation,
  named: Map<string, NamedBody>,
  schemas: Record<string, Json>,
): Json {
  const responses: Record<string, Json> = { [op.success.status]: successResponse(op) };
  const byStatus = [...errorCodesByStatus(op)].sort(([a], [b]) => a - b);
  for (const [status, codes] of byStatus)
    responses[status] = errorResponse(op, status, codes, schemas);
  const body = requestBody(op, named);
  const scope = op.auth.kind === 'key' ? `\n\nScope: \`${op.auth.scope}\`.` : '';
  const params = parameters(op);
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description || scope ? { description: `${op.description ?? ''}${scope}`.trim() } : {}),
    security: security(op),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export function buildOpenApiDocument(): OpenApiDocument {
  const named = new Map<string, NamedBody>();
  const paths: Record<string, Record<string, Json>> = {};
  const schemas = responseComponents();
  for (const op of operations) {
    (paths[op.path] ??= {})[op.method] = operationObject(op, named, schemas);
  }
  for (const [name, body] of named) schemas[name] = inputSchema(body.schema);
  return {
    openapi: '3.1.1',
    info: {
      title: 'mailsift API',
      version,
      summary: 'Email-list cleaning: a CSV file or a list in, a verdict on every address out.',
      description:
        'Upload a CSV file or post a list of addresses, get a job back at once (201), then poll ' +
        'it or wait for its signed webhook. Or validate up to 100 addresses synchronously.\n\n' +
        'Every `/v1` route needs an API key (`ms_live_…` or `ms_test_…`), sent in one of four ' +
        'ways, checked in this order: `Authorization: Token <key>`, `Authorization: Bearer ' +
        '<key>`, `X-API-Key: <key>`, `?api_key=<key>`. Test keys never touch the network: ' +
        'results are simulated from the local part (`deliverable@…`, `risky@…`, …).\n\n' +
        'Every error has the same envelope (`Error`); each response lists the codes it can carry.',
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'A local mailsift (`npm start`).' }],
    tags: [
      { name: 'Jobs', description: 'Clean a list in the background.' },
      { name: 'Validation', description: 'Validate addresses synchronously.' },
      { name: 'Account', description: 'Credits, usage, and what the account already knows.' },
      { name: 'Admin', description: 'Operator routes (ADMIN_TOKEN).' },
      { name: 'Operations', description: 'Health probes and metrics.' },
      { name: 'Reference', description: 'This document, raw and rendered.' },
    ],
    security: keySchemes.map((s) => ({ [s]: [] })),
    paths,
    components: { schemas, headers, securitySchemes },
  };
}
