import { operations } from './openapi/operations.ts';

/**
 * Every route of the app, matched once when a request arrives, before authentication: metrics
 * and logs get the full pattern (`/v1/jobs/:id/results.csv`) even for a 401, and a known path
 * asked with a method it does not have is a 405 that lists the methods it has. The table is the
 * OpenAPI document's list of operations (test/integration/http/openapi.test.ts checks that every
 * route the app answers is documented), so it cannot drift from the routers.
 */
export interface RouteMatch {
  /** Express spelling of the full path: `/v1/jobs/:id`. */
  pattern: string;
  /** Methods the path answers, upper case, HEAD with every GET (as Express does). */
  allow: string[];
  /** Whether the request's method is one of `allow`. */
  methodAllowed: boolean;
}

interface Entry {
  pattern: string;
  segments: (string | null)[]; // null: a parameter, any one non-empty segment
  methods: Set<string>;
  admin: boolean;
}

function buildTable(): Entry[] {
  const byPath = new Map<string, Entry>();
  for (const op of operations) {
    const pattern = op.path.replace(/\{(\w+)\}/g, ':$1');
    let entry = byPath.get(pattern);
    if (!entry) {
      const segments = pattern
        .split('/')
        .filter(Boolean)
        .map((s) => (s.startsWith(':') ? null : s.toLowerCase()));
      entry = { pattern, segments, methods: new Set(), admin: op.auth.kind === 'admin' };
      byPath.set(pattern, entry);
    }
    entry.methods.add(op.method.toUpperCase());
    if (op.method === 'get') entry.methods.add('HEAD');
  }
  // Literal paths before parameterised ones: `/v1/validate/batch` is not `/v1/jobs/:id`-like, but
  // `/docs` must win over nothing and `/v1/jobs` over `/v1/jobs/:id` when both could fit.
  return [...byPath.values()].sort(
    (a, b) =>
      a.segments.filter((s) => s === null).length - b.segments.filter((s) => s === null).length,
  );
}

const table = buildTable();
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The route a request path is for, as Express routes it: case-insensitive, a trailing slash
 * allowed. `null` when no route has this path (a 404). The admin routes exist only when the
 * app mounts them (ADMIN_TOKEN set).
 */
export function matchRoute(
  method: string,
  path: string,
  opts: { admin: boolean },
): RouteMatch | null {
  const parts = path.split('/').filter((s, i, all) => s !== '' || (i > 0 && i < all.length - 1));
  const segments = parts.filter(Boolean);
  if (segments.length !== parts.length) return null; // `//` inside the path matches no route
  for (const entry of table) {
    if (entry.admin && !opts.admin) continue;
    if (entry.segments.length !== segments.length) continue;
    const fits = entry.segments.every((s, i) =>
      s === null ? segments[i]!.length > 0 : s === segments[i]!.toLowerCase(),
    );
    if (!fits) continue;
    const allow = ORDER.filter((m) => entry.methods.has(m));
    return { pattern: entry.pattern, allow, methodAllowed: entry.methods.has(method) };
  }
  return null;
}
