import { z } from 'zod';
import { CHECK_COLUMNS, type CheckColumn } from '../../domain/jobs/export-results.ts';
import { DomainError, validationError, type FieldErrors } from '../../domain/errors.ts';
import type { UploadWork } from '../../domain/jobs/count-input.ts';
import type { CreateJobInput } from '../../domain/jobs/create-job.ts';
import { isJobId } from '../../domain/jobs/read-jobs.ts';
import { checkEmailEntries, emailEntrySchema, hasNul, NO_NUL } from './email-list.ts';

type Common = Omit<
  CreateJobInput,
  'source' | 'filePath' | 'emails' | 'emailColumn' | 'idempotencyKey'
>;

/**
 * The bodies POST /v1/jobs accepts, as the OpenAPI document shows them. The parsers below check
 * them by hand (for API.md's field map keyed by index and its MISSING_INPUT rule); they read the
 * fields through `JobFields`, so a field renamed here no longer compiles there.
 */
const jobOptions = {
  name: z.string().max(200).nullable().optional().describe('A label for the job.'),
  webhook_url: z
    .string()
    .nullable()
    .optional()
    .describe('Called once when the job ends (`job.completed` / `job.failed`).'),
  smtp: z.boolean().optional().describe("Run the SMTP probe (default: the plan's setting)."),
  quick_mode: z.boolean().optional().describe('Skip the SMTP probe.'),
};

export const createJobJsonSchema = z.object({
  emails: z.array(emailEntrySchema).min(1).describe('The addresses, at most MAX_EMAILS_PER_JOB.'),
  ...jobOptions,
});

const formFlag = z.enum(['true', 'false', '1', '0']);

export const createJobFormSchema = z.object({
  csv_file: z
    .string()
    .meta({ contentMediaType: 'text/csv' })
    .optional()
    .describe('The CSV file (UTF-8; `,` `;` or tab delimited). Either this or `emails`.'),
  emails: z
    .array(emailEntrySchema)
    .optional()
    .describe('Addresses as repeated form fields, instead of a file.'),
  email_column: z
    .string()
    .optional()
    .describe('Header name, or 0-based index, of the column holding the addresses.'),
  name: jobOptions.name,
  webhook_url: jobOptions.webhook_url,
  smtp: formFlag.optional().describe(jobOptions.smtp.description ?? ''),
  quick_mode: formFlag.optional().describe(jobOptions.quick_mode.description ?? ''),
});

type JobFields = Partial<
  Record<
    keyof z.input<typeof createJobJsonSchema> | keyof z.input<typeof createJobFormSchema>,
    unknown
  >
>;

function fail(fields: FieldErrors): never {
  throw validationError(fields);
}

function boolField(fields: FieldErrors, name: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false|1|0)$/i.test(v)) return /^(true|1)$/i.test(v);
  fields[name] = ['Must be true or false.'];
  return undefined;
}

function common(body: JobFields, fields: FieldErrors): Common {
  const name = body.name;
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 200)) {
    fields.name = ['Must be a string of at most 200 characters.'];
  } else if (typeof name === 'string' && hasNul(name)) fields.name = [NO_NUL];
  const webhook = body.webhook_url;
  if (webhook !== undefined && webhook !== null && webhook !== '' && typeof webhook !== 'string') {
    fields.webhook_url = ['Must be a URL string.'];
  } else if (typeof webhook === 'string' && hasNul(webhook)) fields.webhook_url = [NO_NUL];
  return {
    name: typeof name === 'string' && name.trim() ? name.trim() : null,
    webhookUrl: typeof webhook === 'string' && webhook.trim() ? webhook.trim() : null,
    smtp: boolField(fields, 'smtp', body.smtp),
    quickMode: boolField(fields, 'quick_mode', body.quick_mode) ?? false,
  };
}

/** Checks each entry of `emails`, collecting a field map keyed by index (API.md). */
export function parseEmailList(raw: unknown, maxEmails: number): string[] {
  if (!Array.isArray(raw)) fail({ emails: ['Must be an array of strings.'] });
  if (raw.length === 0) fail({ emails: ['Must hold at least one address.'] });
  if (raw.length > maxEmails) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `A job holds at most ${maxEmails} addresses.`, {
      maximum: maxEmails,
    });
  }
  return checkEmailEntries(raw);
}

const missingInput = () =>
  new DomainError('MISSING_INPUT', "Provide either a 'csv_file' upload or an 'emails' list.");

export function jobInputFromJson(
  body: unknown,
  idempotencyKey: string | null,
  maxEmails: number,
): CreateJobInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    fail({ body: ['Must be a JSON object.'] });
  }
  const b = body as JobFields;
  if (b.emails === undefined || b.csv_file !== undefined) throw missingInput();
  const fields: FieldErrors = {};
  const c = common(b, fields);
  if (Object.keys(fields).length > 0) fail(fields);
  return { ...c, idempotencyKey, source: 'emails', emails: parseEmailList(b.emails, maxEmails) };
}

/** `email_column` of a form: a header name, or a 0-based index when it is all digits. */
export const emailColumnOf = (raw: unknown): string | number | undefined => {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw.trim();
};

export function jobInputFromMultipart(
  body: Record<string, unknown> | undefined,
  file: { path: string } | undefined,
  idempotencyKey: string | null,
  maxEmails: number,
  counted?: UploadWork,
): CreateJobInput {
  const b: JobFields = body ?? {};
  const hasEmails = b.emails !== undefined;
  if (!file === !hasEmails) throw missingInput();
  const fields: FieldErrors = {};
  const c = common(b, fields);
  const emailColumn = emailColumnOf(b.email_column);
  if (b.email_column !== undefined && typeof b.email_column !== 'string') {
    fields.email_column = ['Must be a header name or a 0-based column index.'];
  }
  if (Object.keys(fields).length > 0) fail(fields);
  if (file) {
    return { ...c, idempotencyKey, source: 'csv_file', filePath: file.path, emailColumn, counted };
  }
  const list = Array.isArray(b.emails) ? b.emails : [b.emails];
  return { ...c, idempotencyKey, source: 'emails', emails: parseEmailList(list, maxEmails) };
}

export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const key = header.trim();
  if (key === '' || key.length > 255) fail({ 'Idempotency-Key': ['Must be 1 to 255 characters.'] });
  return key;
}

const statuses = ['deliverable', 'undeliverable', 'risky', 'unknown'] as const;
export type StatusFilter = (typeof statuses)[number][];

/**
 * A comma list (`deliverable,risky`), or the parameter repeated (`?status=a&status=b`): the
 * distinct values, each one of `allowed`; an unknown one is a 400 that names it and the choices.
 */
function commaList<T extends string>(allowed: readonly T[]) {
  return z.union([z.string(), z.array(z.string())]).transform((raw, ctx) => {
    const values = (Array.isArray(raw) ? raw : [raw])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
    const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `Unknown value(s) ${unknown.map((v) => `'${v}'`).join(', ')}; use a comma list of: ${allowed.join(', ')}.`,
      });
      return z.NEVER;
    }
    return [...new Set(values)] as T[];
  });
}

const statusList = commaList(statuses);

/** Query parameters every route takes besides its own: the key (API.md "Authentication"). */
const COMMON_QUERY = ['api_key'];

/**
 * A parameter the route does not know is refused, naming it: a misspelt `stauts=risky` silently
 * ignored would answer every row as if it filtered them.
 */
function parseQuery<T extends z.ZodObject>(schema: T, query: unknown): z.infer<T> {
  const known = [...Object.keys(schema.shape), ...COMMON_QUERY];
  const fields: Record<string, string[]> = {};
  const own = Object.keys(schema.shape).join(', ');
  for (const name of Object.keys(query ?? {})) {
    if (!known.includes(name))
      fields[name] = [`Unknown query parameter; this route takes ${own || 'none'}.`];
  }
  if (Object.keys(fields).length > 0) {
    const names = Object.keys(fields);
    throw validationError(
      fields,
      `Unknown query parameter${names.length > 1 ? 's' : ''}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}.`,
    );
  }
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    (fields[issue.path.join('.') || 'query'] ??= []).push(issue.message);
  fail(fields);
}

// The query schemas are exported: the OpenAPI document describes the parameters from them.
export const listJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size.'),
  starting_after: z
    .string()
    .refine(isJobId, 'Not a job id.')
    .optional()
    .describe('A job id: the page starts after it (the last id of the previous page).'),
});

export const resultsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size.'),
  cursor: z
    .string()
    .regex(/^\d{1,10}$/, 'Not a cursor returned by this API.')
    .transform(Number)
    .refine((n) => n <= 2_147_483_647, 'Not a cursor returned by this API.')
    .optional()
    .describe('`next_cursor` of the previous page.'),
  status: statusList
    .optional()
    .describe(
      'Only results with these verdicts: one, or a comma list (`deliverable,risky`) of deliverable, undeliverable, risky, unknown.',
    ),
});

export const downloadQuerySchema = z.object({
  status: statusList
    .optional()
    .describe(
      'Only rows with these verdicts: one, or a comma list (`deliverable,risky`) of deliverable, undeliverable, risky, unknown.',
    ),
  columns: commaList([...CHECK_COLUMNS, 'all'] as const)
    .transform((v): CheckColumn[] =>
      v.includes('all') ? [...CHECK_COLUMNS] : v.filter((c) => c !== 'all'),
    )
    .optional()
    .describe(
      `Check columns to append after the default result columns, each as \`mailsift_<name>\`: a comma list of ${CHECK_COLUMNS.join(', ')}, or \`all\`. Booleans are \`true\` / \`false\`, empty where not known.`,
    ),
  bom: z
    .enum(['true', 'false'], { message: "Must be 'true' or 'false'." })
    .optional()
    .transform((v) => v === 'true')
    .describe(
      'true: start the file with a UTF-8 byte order mark, so Excel shows accented names right when it opens the file.',
    ),
});

export const listJobsQuery = (q: unknown) => parseQuery(listJobsQuerySchema, q);
export const resultsQuery = (q: unknown) => parseQuery(resultsQuerySchema, q);
export const downloadQuery = (q: unknown) => parseQuery(downloadQuerySchema, q);
