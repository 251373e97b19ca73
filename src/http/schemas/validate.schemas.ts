import { z } from 'zod';
import { DomainError, validationError, type FieldErrors } from '../../domain/errors.ts';
import type { ValidateInput } from '../../domain/validate/validate-emails.ts';
import { checkEmailEntries, emailEntrySchema, hasNul, MAX_EMAIL_LENGTH } from './email-list.ts';

const NUL_IN_EMAIL = "'email' must not contain NUL characters.";

/** API.md: a batch holds at most 100 addresses. */
export const MAX_BATCH = 100;

const flags = {
  quick_mode: z.boolean().optional().describe('Skip the SMTP probe (syntax, DNS and lists only).'),
  smtp: z.boolean().optional().describe("Run the SMTP probe (default: the plan's setting)."),
};

/** The bodies as the OpenAPI document shows them; the parsers read fields through their keys. */
export const validateBodySchema = z.object({
  email: z.string().min(1).max(MAX_EMAIL_LENGTH),
  ...flags,
});
export const batchBodySchema = z.object({
  emails: z.array(emailEntrySchema).min(1).max(MAX_BATCH),
  ...flags,
});
type Fields = Partial<
  Record<keyof z.input<typeof validateBodySchema> | keyof z.input<typeof batchBodySchema>, unknown>
>;

function options(body: Fields): Omit<ValidateInput, 'emails'> {
  const fields: FieldErrors = {};
  const flag = (name: keyof typeof flags): boolean | undefined => {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    fields[name] = ['Must be true or false.'];
    return undefined;
  };
  const smtp = flag('smtp');
  const quickMode = flag('quick_mode') ?? false;
  if (Object.keys(fields).length > 0) throw validationError(fields);
  return { smtp, quickMode };
}

function object(body: unknown): Fields {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw validationError({ body: ['Must be a JSON object.'] });
  return body;
}

/** `POST /v1/validate`: `{ email, quick_mode?, smtp? }`. */
export function validateInput(raw: unknown): ValidateInput {
  const body = object(raw);
  const email = body.email;
  if (email === undefined || email === null) {
    throw new DomainError('MISSING_EMAIL', "Provide the address to validate as 'email'.");
  }
  if (typeof email !== 'string' || email.trim() === '' || email.length > MAX_EMAIL_LENGTH) {
    throw new DomainError(
      'INVALID_EMAIL',
      `'email' must be a non-empty string of at most ${MAX_EMAIL_LENGTH} characters.`,
    );
  }
  // As for list entries (email-list.ts): Postgres text cannot hold NUL, so it is never probed.
  if (hasNul(email)) throw new DomainError('INVALID_EMAIL', NUL_IN_EMAIL);
  return { emails: [email], ...options(body) };
}

/** `POST /v1/validate/batch`: `{ emails: [1..100 strings], quick_mode?, smtp? }`. */
export function batchInput(raw: unknown): ValidateInput {
  const body = object(raw);
  const emails = body.emails;
  if (emails === undefined || emails === null) {
    throw new DomainError(
      'MISSING_EMAIL',
      "Provide the addresses to validate as 'emails', an array.",
    );
  }
  if (!Array.isArray(emails)) throw validationError({ emails: ['Must be an array of strings.'] });
  const size = { submitted: emails.length, maximum: MAX_BATCH };
  if (emails.length === 0)
    throw new DomainError('BATCH_EMPTY', 'The batch holds no address.', size);
  if (emails.length > MAX_BATCH) {
    throw new DomainError(
      'BATCH_TOO_LARGE',
      `A batch holds at most ${MAX_BATCH} addresses; use a job for more.`,
      size,
    );
  }
  return { emails: checkEmailEntries(emails), ...options(body) };
}

export const enrichmentQuerySchema = z.object({
  email: z.string().min(1).max(MAX_EMAIL_LENGTH).describe('The address to look up.'),
});

/** `GET /v1/enrichment?email=`. */
export function enrichmentEmail(
  query: Partial<Record<keyof z.input<typeof enrichmentQuerySchema>, unknown>>,
): string {
  const email = query.email;
  if (email === undefined || email === '') {
    throw new DomainError('MISSING_EMAIL', "Provide the address as the 'email' query parameter.");
  }
  if (typeof email !== 'string' || email.trim() === '' || email.length > MAX_EMAIL_LENGTH) {
    throw new DomainError('INVALID_EMAIL', "'email' must be one non-empty address.");
  }
  if (hasNul(email)) throw new DomainError('INVALID_EMAIL', NUL_IN_EMAIL);
  return email;
}
