import type {
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  ServerResponse,
} from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { authErrors } from '../../src/http/openapi/operations.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/http/openapi/document.ts';

/**
 * Checks responses against the OpenAPI document: the status is documented for the route, the
 * content type is one the document names, the body matches its schema (ajv, JSON Schema 2020-12
 * with formats) and an error's code is in the set documented for that route and status.
 *
 * The harness serves its app through `recordingListener`, so every response of every test that
 * uses startHarness is checked; test/support/openapi-setup.ts fails the test during which a
 * violation happened, and the global teardown prints how many responses were checked.
 */

export interface RecordedResponse {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  status: number;
  headers: OutgoingHttpHeaders;
  /** null when the body was larger than the recorder keeps. */
  body: Buffer | null;
}

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const BODY_CAP = 16 * 1024 * 1024;

interface Route {
  template: string;
  pattern: RegExp;
  item: Record<string, Json>;
}

export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument = buildOpenApiDocument()) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(doc, 'openapi');
    // Literal paths before templated ones, so `/docs` never reads as a template.
    this.routes = Object.entries(doc.paths)
      .map(([template, item]) => ({
        template,
        item,
        pattern: new RegExp(
          `^${template
            .split(/\{[^}]+\}/)
            .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}$`,
        ),
      }))
      .sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.getSchema(`openapi#${pointer}`);
      if (!v) throw new Error(`no schema at ${pointer}`);
      this.compiled.set(pointer, v);
    }
    return v;
  }

  private locate(r: RecordedResponse) {
    const path = r.url.split('?')[0]!;
    const method = r.method.toLowerCase() === 'head' ? 'get' : r.method.toLowerCase();
    const route = this.routes.find((x) => x.pattern.test(path));
    return { path, method, route, operation: route?.item[method] };
  }

  /** `GET /v1/jobs/{id} 200`: the documented response this one is (or `unknown route 404`). */
  responseKey(r: RecordedResponse): string {
    const { method, route, operation } = this.locate(r);
    const op = route && operation ? `${method.toUpperCase()} ${route.template}` : 'unknown route';
    return `${op} ${r.status}`;
  }

  /** The problems of one response; empty when the document describes it. */
  check(r: RecordedResponse): string[] {
    const { path, method, route, operation } = this.locate(r);
    const where = `${r.method} ${path} -> ${r.status}`;
    if (!route || !operation) return this.checkUnrouted(r, path, where, route !== undefined);
    const op = `${method.toUpperCase()} ${route.template}`;
    const responses = operation.responses as Record<string, Json>;
    const response = responses[String(r.status)];
    if (!response) {
      return [
        `${where}: status ${r.status} is not documented for ${op} (documented: ${Object.keys(responses).join(', ')})`,
      ];
    }
    const pointer = `/paths/${escape(route.template)}/${method}/responses/${r.status}`;
    const problems: string[] = [];
    for (const [name, h] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const headers = this.doc.components.headers as Record<string, Json>;
      const spec = h.$ref ? headers[String(h.$ref).split('/').pop() ?? ''] : h;
      if (spec?.required && r.headers[name.toLowerCase()] === undefined) {
        problems.push(`${where}: required header ${name} is missing (${op})`);
      }
    }
    const content = response.content as Record<string, Json> | undefined;
    const type = String(r.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!content) {
      if (r.body && r.body.length > 0) problems.push(`${where}: ${op} documents no body`);
      return problems;
    }
    const media = content[type] ? type : content['*/*'] ? '*/*' : null;
    if (!media) {
      problems.push(
        `${where}: content type '${type}' is not documented for ${op} (documented: ${Object.keys(content).join(', ')})`,
      );
      return problems;
    }
    if (media !== 'application/json' || r.body === null || r.method === 'HEAD') return problems;
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      return [...problems, `${where}: the body is not JSON (${op})`];
    }
    const schemaPointer = `${pointer}/content/${escape(media)}/schema`;
    problems.push(...this.validate(schemaPointer, body, where, op));
    const codes = this.codesAt(`${schemaPointer}`);
    const code = (body as Json | null)?.error?.code;
    if (codes && !codes.includes(code)) {
      problems.push(
        `${where}: error code ${String(code)} is not documented for ${op} ${r.status} (documented: ${codes.join(', ')})`,
      );
    }
    return problems;
  }

  /**
   * A path or method the document does not list: the app's 404, or what the key check in front
   * of every /v1 path answers first; a documented path asked with another method is a 405.
   * Nothing else may come back from an unknown route.
   */
  private checkUnrouted(
    r: RecordedResponse,
    path: string,
    where: string,
    knownPath: boolean,
  ): string[] {
    const allowed = new Set<string>([
      'NOT_FOUND',
      ...(knownPath ? ['METHOD_NOT_ALLOWED'] : []),
      ...(/^\/v1(\/|$)/.test(path) ? authErrors.key : []),
      ...(/^\/admin(\/|$)/.test(path) ? authErrors.admin : []),
    ]);
    const problems = this.checkEnvelope(r, where, 'an unknown route');
    if (problems.length) return problems;
    const code = (JSON.parse(r.body!.toString('utf8')) as Json).error.code as string;
    return allowed.has(code)
      ? []
      : [`${where}: an unknown route answered ${code} (allowed: ${[...allowed].join(', ')})`];
  }

  private checkEnvelope(r: RecordedResponse, where: string, op: string): string[] {
    if (r.status < 400) return [`${where}: ${op} answered ${r.status}, not an error`];
    const type = String(r.headers['content-type'] ?? '');
    if (!type.startsWith('application/json') || !r.body) {
      return [`${where}: ${op} answered '${type}', not the JSON error envelope`];
    }
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      return [`${where}: the body is not JSON (${op})`];
    }
    return this.validate('/components/schemas/Error', body, where, op);
  }

  private validate(pointer: string, body: unknown, where: string, op: string): string[] {
    const validate = this.validator(pointer);
    if (validate(body)) return [];
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${paramsOf(e.params)}`);
    return [`${where}: the body does not match the schema of ${op}: ${errors.join('; ')}`];
  }

  /** The `error.code` enum of an error response's schema, if it is one. */
  private codesAt(pointer: string): string[] | null {
    let node: any = this.doc;
    for (const part of pointer.slice(1).split('/')) node = node?.[unescape(part)];
    const codes = node?.properties?.error?.properties?.code?.enum;
    return Array.isArray(codes) ? (codes as string[]) : null;
  }
}

const escape = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
const unescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');
function paramsOf(params: Record<string, unknown>): string {
  const shown = Object.entries(params).filter(([, v]) => v !== undefined);
  return shown.length ? ` (${shown.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')})` : '';
}

// Responses are only kept while the app runs, and checked when the test ends (takeViolations):
// checking costs CPU that must not slow the app while a test times it.
let checker: OpenApiChecker | null = null;
const state = { checked: 0, pending: [] as RecordedResponse[], seen: new Map<string, number>() };

export function recordResponse(r: RecordedResponse): void {
  state.pending.push(r);
}

/** Checks the responses recorded since the last call; returns their violations. */
export function takeViolations(): string[] {
  const violations: string[] = [];
  for (const r of state.pending.splice(0)) {
    checker ??= new OpenApiChecker();
    state.checked++;
    try {
      const key = checker.responseKey(r);
      state.seen.set(key, (state.seen.get(key) ?? 0) + 1);
      violations.push(...checker.check(r));
    } catch (err) {
      violations.push(`${r.method} ${r.url} -> ${r.status}: the checker failed: ${String(err)}`);
    }
  }
  return violations;
}

export const checkedResponses = () => ({ checked: state.checked, seen: state.seen });

/**
 * Wraps the app's request listener: keeps what the app writes (status, headers, body) and checks
 * it once the response is finished. Test-only; the app itself is unchanged.
 */
export function recordingListener(app: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    // Read now: Express rewrites req.url inside mounted routers.
    const { method = 'GET', url = '/' } = req;
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const b =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      size += b.length;
      if (size <= BODY_CAP) chunks.push(b);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as typeof res.end;
    res.on('finish', () => {
      recordResponse({
        method,
        url,
        status: res.statusCode,
        headers: res.getHeaders(),
        body: size <= BODY_CAP ? Buffer.concat(chunks) : null,
      });
    });
    void app(req, res);
  };
}
