import type { Checks } from '../validation/types.ts';

/**
 * The stored forms of what a job writes per address, narrower than the objects they come from
 * (issue 13: the Postgres size of a job); each reader gets the object back. How a verdict's
 * `checks` are stored (results.checks, email_facts.checks; jsonb both): an array
 * of the values in CHECK_KEYS order, `smtp` as `[code, enhanced_code, message]`. The object form
 * repeated its eleven keys (and jsonb an entry for each) on every address: ~115 bytes a row of
 * the ~200 (issue 13, docs/performance.md). Rows written before are objects and read as they are.
 */
const CHECK_KEYS = [
  'syntax',
  'domain',
  'mx_found',
  'mx_host',
  'disposable',
  'role',
  'free',
  'catch_all',
  'smtp',
  'provider',
  'gateway',
] as const satisfies readonly (keyof Checks)[];

const SMTP_AT = CHECK_KEYS.indexOf('smtp');

/** The stored form, as JSON text for COPY or a `::jsonb` parameter. */
export function packChecks(checks: Checks): string {
  const values: unknown[] = CHECK_KEYS.map((k) => checks[k] ?? null);
  const smtp = checks.smtp;
  if (smtp) values[SMTP_AT] = [smtp.code, smtp.enhanced_code, smtp.message];
  return JSON.stringify(values);
}

/** The object form of what was stored (either form); null stays null. */
export function unpackChecks(stored: unknown): Checks | null {
  if (!Array.isArray(stored)) return (stored as Checks | null) ?? null;
  const out: Record<string, unknown> = {};
  CHECK_KEYS.forEach((k, i) => {
    out[k] = stored[i] ?? null;
  });
  const smtp = stored[SMTP_AT] as [number, string | null, string] | null;
  out.smtp = smtp ? { code: smtp[0], enhanced_code: smtp[1], message: smtp[2] } : null;
  return out as unknown as Checks;
}

/**
 * How an input row's fields are stored (job_rows.fields, JSON text): the cell that holds the
 * address exactly as job_rows.email does is null, so the address is not kept twice.
 */
export function packFields(fields: string[] | null, email: string): string | null {
  if (!fields) return null;
  const at = fields.indexOf(email);
  return JSON.stringify(at < 0 ? fields : fields.map((f, i) => (i === at ? null : f)));
}

/**
 * How an input row's normalised address is stored (job_rows.normalized): null where it is the
 * address exactly as written (most rows), so it is not kept twice. An invalid address has none
 * (null too): syntax_valid tells the two apart.
 */
export function packNormalized(normalized: string | null, email: string): string | null {
  return normalized === email ? null : normalized;
}

/** The fields of a stored row (either form). */
export function unpackFields(stored: string | null, email: string): string[] | null {
  if (stored === null) return null;
  return (JSON.parse(stored) as (string | null)[]).map((f) => f ?? email);
}
