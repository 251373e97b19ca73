import { describe, expect, it } from 'vitest';
import {
  packChecks,
  packFields,
  unpackChecks,
  unpackFields,
} from '../../../src/data/stored-forms.ts';
import { emptyChecks } from '../../../src/validation/verdict.ts';
import type { Checks } from '../../../src/validation/types.ts';

const full: Checks = {
  syntax: true,
  domain: 'example.com',
  mx_found: true,
  mx_host: 'mx1.example.com',
  disposable: false,
  role: true,
  free: false,
  catch_all: null,
  smtp: { code: 550, enhanced_code: '5.1.1', message: 'User unknown\nin "table"' },
  provider: 'google',
  gateway: null,
};

describe('stored forms of checks and fields', () => {
  it('when checks are packed and read back through jsonb text, then every field is as it was', () => {
    const cases: [Checks, string | null][] = [
      [full, 'ann@example.com'],
      [full, 'ann@other.example'],
      [full, null],
      [emptyChecks(), null],
      [{ ...full, smtp: null, catch_all: true, provider: null }, 'ann@example.com'],
      [{ ...full, syntax: false, domain: null, mx_found: false, mx_host: null }, null],
    ];
    for (const [checks, normalized] of cases) {
      const stored: unknown = JSON.parse(packChecks(checks, normalized));
      expect(Array.isArray(stored)).toBe(true);
      expect(unpackChecks(stored, normalized)).toEqual(checks);
    }
  });

  it("when the domain is the address's own, then it is not stored again", () => {
    const packed = packChecks(full, 'ann@example.com');
    expect(packed).not.toContain('"example.com"');
    expect(packChecks(full, 'ann@other.example')).toContain('"example.com"');
  });

  it('when checks are packed, then they take well under the object form and the first array form', () => {
    const plain = { ...full, smtp: null, provider: null };
    // The first array form of the same checks: eleven values.
    const v1 = JSON.stringify([
      ...[true, 'example.com', true, 'mx1.example.com', false, true, false],
      ...[null, null, null, null],
    ]);
    expect(packChecks(full, null).length).toBeLessThan(JSON.stringify(full).length * 0.6);
    expect(packChecks(plain, 'ann@example.com').length).toBeLessThan(v1.length * 0.6);
  });

  it('when a row was stored before (an object, the first array form, or null), then it is read as it is', () => {
    const old = { ...full, provider: undefined, gateway: undefined };
    expect(unpackChecks(old, 'ann@example.com')).toBe(old);
    expect(unpackChecks(null, null)).toBeNull();
    const v1 = [
      true,
      'example.com',
      true,
      'mx1.example.com',
      false,
      true,
      false,
      null,
      [550, '5.1.1', 'User unknown\nin "table"'],
      'google',
      null,
    ];
    expect(unpackChecks(JSON.parse(JSON.stringify(v1)), 'ann@elsewhere.example')).toEqual(full);
  });

  it('when a row holds the address in one of its cells, then that cell is stored once and read back', () => {
    const fields = ['Ann', ' ann@example.com', 'x'];
    const stored = packFields(fields, ' ann@example.com')!;
    expect(stored).not.toContain('ann@example.com');
    expect(unpackFields(stored, ' ann@example.com')).toEqual(fields);
  });

  it('when two cells hold the address, or none, or the row is a list entry, then all are read back', () => {
    const twice = ['a@b.c', 'a@b.c'];
    expect(unpackFields(packFields(twice, 'a@b.c'), 'a@b.c')).toEqual(twice);
    const none = ['x', 'y'];
    expect(unpackFields(packFields(none, 'a@b.c'), 'a@b.c')).toEqual(none);
    expect(packFields(null, 'a@b.c')).toBeNull();
    expect(unpackFields(null, 'a@b.c')).toBeNull();
    // A row stored before: plain strings.
    expect(unpackFields(JSON.stringify(['a@b.c', 'n']), 'a@b.c')).toEqual(['a@b.c', 'n']);
  });
});
