import type { DomainError, ErrorCode } from '../../domain/errors.ts';
import type { ErrorEnvelope } from '../schemas/errors.responses.ts';

/**
 * The most field-map entries one error body lists. A request with a million bad items would
 * otherwise get a body larger than itself; the first entries show what is wrong, the count says
 * how many more there are.
 */
export const MAX_FIELD_ENTRIES = 100;

type Messages = string[] | Record<string, string[]>;

/**
 * Keeps the first MAX_FIELD_ENTRIES entries of a field map, counting each index of a per-index
 * map (`{"emails": {"3": [...]}}`) as one entry. Returns the kept map and how many were left out.
 */
export function capFieldMap(fields: Record<string, Messages>): {
  fields: Record<string, Messages>;
  omitted: number;
} {
  const kept: Record<string, Messages> = {};
  let room = MAX_FIELD_ENTRIES;
  let omitted = 0;
  for (const [field, messages] of Object.entries(fields)) {
    if (Array.isArray(messages)) {
      if (room > 0) {
        kept[field] = messages;
        room--;
      } else omitted++;
      continue;
    }
    const entries = Object.entries(messages);
    const take = entries.slice(0, Math.max(room, 0));
    if (take.length > 0) kept[field] = Object.fromEntries(take);
    omitted += entries.length - take.length;
    room -= take.length;
  }
  return { fields: kept, omitted };
}

function cappedDetails(details: Record<string, unknown>): Record<string, unknown> {
  const fields = details.fields;
  if (!fields || typeof fields !== 'object') return details;
  const capped = capFieldMap(fields as Record<string, Messages>);
  if (capped.omitted === 0) return details;
  return { ...details, fields: capped.fields, fields_omitted: capped.omitted };
}

/** API.md's envelope for a domain error, with the request id (as Stripe's `request_id`). */
export function errorBody(err: DomainError, requestId: string | undefined): ErrorEnvelope {
  return envelope(err.code, err.message, err.details, requestId);
}

export function envelope(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
  requestId?: string,
): ErrorEnvelope {
  return {
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details: cappedDetails(details) }),
      ...(requestId === undefined ? {} : { request_id: requestId }),
    },
    timestamp: new Date().toISOString(),
  };
}
