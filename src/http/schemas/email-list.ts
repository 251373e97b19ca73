import { z } from 'zod';
import { validationError } from '../../domain/errors.ts';

/** 64 (local part) + 1 + 255 (domain): anything longer is never an address, refused at once. */
export const MAX_EMAIL_LENGTH = 320;

// Postgres text cannot hold U+0000: a string with it could be accepted but never stored.
const NUL = '\u0000';
export const NO_NUL = 'Must not contain NUL characters.';
export const hasNul = (text: string): boolean => text.includes(NUL);

/** One address of an `emails` list, as the OpenAPI document shows it. */
export const emailEntrySchema = z.string().min(1).max(MAX_EMAIL_LENGTH);

/** What is wrong with one entry of an `emails` list, or null when nothing is. */
function entryProblem(entry: unknown): string | null {
  if (typeof entry !== 'string') return 'Must be a string.';
  if (entry.trim() === '') return 'Must not be empty.';
  if (entry.length > MAX_EMAIL_LENGTH) return `Must be at most ${MAX_EMAIL_LENGTH} characters.`;
  if (hasNul(entry)) return NO_NUL;
  return null;
}

/**
 * Checks each entry of an `emails` list (of a job or of a batch alike): every bad one is named
 * by its index in one VALIDATION_ERROR (API.md's field map), or the list is returned as strings.
 */
export function checkEmailEntries(list: readonly unknown[]): string[] {
  const byIndex: Record<string, string[]> = {};
  list.forEach((entry, i) => {
    const problem = entryProblem(entry);
    if (problem) byIndex[i] = [problem];
  });
  if (Object.keys(byIndex).length > 0) throw validationError({ emails: byIndex });
  return list as string[];
}
