import { describe, expect, it } from 'vitest';
import {
  parseAddress,
  parseAddressInFull,
  plainAddressAt,
} from '../../../src/validation/syntax.ts';
import type { ParsedAddress } from '../../../src/validation/types.ts';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const same = (a: ParsedAddress, b: ParsedAddress) =>
  a.valid === b.valid &&
  a.normalized === b.normalized &&
  a.local === b.local &&
  a.domain === b.domain &&
  (a.domainLiteral ?? false) === (b.domainLiteral ?? false) &&
  (a.smtpUtf8 ?? false) === (b.smtpUtf8 ?? false);

/**
 * What plainAddressAt promises: -1, or the full parse's verdict reached in one pass; and
 * parseAddress (which takes that shortcut) answers every input as the full parse does.
 */
function agrees(input: string): boolean {
  const full = parseAddressInFull(input);
  if (!same(parseAddress(input), full)) return false;
  const at = plainAddressAt(input);
  if (at === -1) return true;
  return (
    full.valid && full.normalized === input.slice(0, at + 1) + input.slice(at + 1).toLowerCase()
  );
}

const PARTS = [
  'a',
  'Z',
  '0',
  '.',
  '..',
  '-',
  '--',
  '@',
  '@@',
  'xn--',
  'XN--',
  '_',
  '+',
  '"',
  ' ',
  '[',
  ']',
  'é',
  'com',
  'CO',
  'c',
  '1',
  'x'.repeat(63),
  'y'.repeat(64),
  "!#$%&'*/=?^`{|}~",
  '\t',
];

describe('plainAddressAt and parseAddress hold to the full parse', () => {
  it('when 200,000 generated strings are checked, then every one it vouches for the full parse finds valid with the same normalised form, and parseAddress answers each as the full parse does', () => {
    const random = rng(42);
    let vouched = 0;
    for (let i = 0; i < 200_000; i++) {
      let s = '';
      const n = 1 + Math.floor(random() * 8);
      for (let j = 0; j < n; j++) s += PARTS[Math.floor(random() * PARTS.length)];
      // Most inputs look like addresses, so the interesting edges are near valid ones.
      if (random() < 0.7)
        s = `${s}@${PARTS[Math.floor(random() * 4)]}x.${random() < 0.5 ? 'Com' : 'c0'}`;
      if (!agrees(s)) throw new Error(`disagrees on ${JSON.stringify(s)}`);
      if (plainAddressAt(s) > 0) vouched++;
    }
    expect(vouched).toBeGreaterThan(5_000);
  });

  it.each([
    ['john.doe@Example.COM', 8],
    ['a@b.co', 1],
    ["o'neil+tag@sub-domain.example.org", 10],
  ])('when %j is plain, then its "@" is at %i', (input, at) => {
    expect(plainAddressAt(input)).toBe(at);
    expect(agrees(input)).toBe(true);
  });

  it.each([
    ' a@b.co',
    '"q"@b.co',
    'a@xn--bcher-kva.example',
    'a@[127.0.0.1]',
    'é@b.co',
    'a@b.c',
    'a@b',
    'a..b@c.co',
    '.a@b.co',
    'a@-b.co',
    'a@b-.co',
    'a@b.c0m',
    `${'x'.repeat(65)}@b.co`,
  ])('when %j is not the plain case, then it is left to parseAddress', (input) => {
    expect(plainAddressAt(input)).toBe(-1);
  });
});
