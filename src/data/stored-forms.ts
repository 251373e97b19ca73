import type { Checks } from '../validation/types.ts';

/**
 * The stored forms of what a job writes per address, narrower than the objects they come from
 * (issue 13: the Postgres size of a job); each reader gets the object back.
 *
 * How a verdict's `checks` are stored (results.checks, email_facts.checks; jsonb both), now:
 * `[flags, domain, mx_host, smtp, provider, gateway]` without its trailing nulls, where `flags`
 * is one character per yes/no check in FLAG_KEYS order (`t`, `f`, `n` for null), `domain` is
 * `true` when it is the domain of the verdict's normalised address (the reader has that address
 * and puts it back) and `smtp` is `[code, enhanced_code, message]`. Each jsonb array element
 * costs 4 bytes of entry besides its value, so six of them, most empty, instead of eleven, and no
 * copy of the domain: ~40 bytes an address instead of ~85.
 *
 * Rows written before are read as they are: the first array form (the eleven values in
 * V1_KEYS order, its first element a boolean) and the object form before it.
 */
const V1_KEYS = [
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

const FLAG_KEYS = [
  'syntax',
  'mx_found',
  'disposable',
  'role',
  'free',
  'catch_all',
] as const satisfies readonly (keyof Checks)[];

type SmtpStored = [number, string | null, string] | null;

const domainOf = (normalized: string | null) =>
  normalized === null ? null : normalized.slice(normalized.lastIndexOf('@') + 1);

/**
 * The stored form, as JSON text for COPY or a `::jsonb` parameter. `normalized` is the verdict's
 * normalised address, which every reader of the row knows (null: none).
 */
export function packChecks(checks: Checks, normalized: string | null): string {
  const flags = FLAG_KEYS.map((k) => (checks[k] === true ? 't' : checks[k] === false ? 'f' : 'n'));
  const smtp = checks.smtp;
  const values: unknown[] = [
    flags.join(''),
    checks.domain !== null && checks.domain === domainOf(normalized) ? true : checks.domain,
    checks.mx_host,
    smtp ? [smtp.code, smtp.enhanced_code, smtp.message] : null,
    checks.provider ?? null,
    checks.gateway ?? null,
  ];
  while (values.length > 1 && values[values.length - 1] === null) values.pop();
  return JSON.stringify(values);
}

/**
 * The object form of what was stored (any form); null stays null. `normalized` as given to
 * packChecks.
 */
export function unpackChecks(stored: unknown, normalized: string | null): Checks | null {
  if (!Array.isArray(stored)) return (stored as Checks | null) ?? null;
  const out: Record<string, unknown> = {};
  let smtp: SmtpStored;
  if (typeof stored[0] === 'string') {
    const flags = stored[0];
    FLAG_KEYS.forEach((k, i) => {
      const f = flags[i];
      out[k] = f === 't' ? true : f === 'f' ? false : null;
    });
    out.domain = stored[1] === true ? domainOf(normalized) : (stored[1] ?? null);
    out.mx_host = stored[2] ?? null;
    smtp = (stored[3] ?? null) as SmtpStored;
    out.provider = stored[4] ?? null;
    out.gateway = stored[5] ?? null;
  } else {
    V1_KEYS.forEach((k, i) => {
      out[k] = stored[i] ?? null;
    });
    smtp = (stored[V1_KEYS.indexOf('smtp')] ?? null) as SmtpStored;
  }
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
