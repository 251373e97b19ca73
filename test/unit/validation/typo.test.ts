import { describe, expect, it } from 'vitest';
import {
  didYouMean,
  isMajorProvider,
  slipDistance,
  suggestDomain,
  typoDistance,
} from '../../../src/validation/typo.ts';

describe('typo suggestions for provider domains', () => {
  it.each([
    ['gmial.com', 'gmail.com'],
    ['gamil.com', 'gmail.com'],
    ['gnail.com', 'gmail.com'],
    ['gmai.com', 'gmail.com'],
    ['gmail.co', 'gmail.com'],
    ['gmail.con', 'gmail.com'],
    ['hotmial.com', 'hotmail.com'],
    ['hotmal.com', 'hotmail.com'],
    ['hotmail.cm', 'hotmail.com'],
    ['yaho.com', 'yahoo.com'],
    ['yahooo.com', 'yahoo.com'],
    ['outlok.com', 'outlook.com'],
    ['iclod.com', 'icloud.com'],
    ['hotmail.couk', 'hotmail.co.uk'],
    ['comcast.nte', 'comcast.net'],
  ])('suggests %s -> %s', (typed, expected) => {
    expect(suggestDomain(typed)).toBe(expected);
  });

  it.each([
    'gmail.com',
    'email.com',
    'mail.com',
    'ymail.com',
    'gmx.de',
    'web.de',
    'yahoo.co.uk',
    'example.com',
    'acme.io',
    'wahoo.com',
    'gmc.com',
    'love.com',
  ])('stays silent for the known or unrelated domain %s', (domain) => {
    expect(suggestDomain(domain)).toBeNull();
  });

  it.each([
    ['mgail.com', 'gmail.com'], // first two letters swapped
    ['gmaill.com', 'gmail.com'], // doubled key
    ['hotmai.com', 'hotmail.com'], // last letter dropped
    ['comcats.net', 'comcast.net'],
    ['verizn.net', 'verizon.net'], // dropped letter in a long name
    ['aol.con', 'aol.com'], // .con is no TLD: even a short name
  ])('suggests the finger slip %s -> %s', (typed, expected) => {
    expect(suggestDomain(typed)).toBe(expected);
  });

  it.each([
    // real domains one plain edit from a provider: first letter changed or dropped
    'pcloud.com',
    'ucloud.com',
    'ecloud.com',
    'acloud.com',
    'scloud.com',
    'xcloud.com',
    'mcloud.com',
    'cloud.com',
    'internet.com',
    'vmail.com',
    'hmail.com',
    'starter.net',
    'pocketmail.com',
    'grange.fr',
    // a letter that is no neighbouring key, a random extra letter, a dropped non-double letter
    'libera.it',
    'photon.me',
    'rodgers.com',
    'roger.com',
    'gail.com',
    'carter.net',
    // a suffix slip that is a real TLD, on a short name
    'mail.co',
    'me.co',
    'live.co',
  ])('stays silent for the real domain %s', (domain) => {
    expect(suggestDomain(domain)).toBeNull();
  });

  it('counts only finger slips, never a change of the first letter', () => {
    expect(slipDistance('gmial', 'gmail', 1, true)).toBe(1);
    expect(slipDistance('mgail', 'gmail', 1, true)).toBe(1);
    expect(slipDistance('vmail', 'gmail', 1, true)).toBe(2); // v is next to g, but first
    expect(slipDistance('libera', 'libero', 1, true)).toBe(2); // a is not next to o
    expect(slipDistance('gmai', 'gmail', 1, true)).toBe(1);
    expect(slipDistance('gail', 'gmail', 1, true)).toBe(2); // dropped among the first two
    expect(slipDistance('roger', 'rogers', 1, false)).toBe(2); // small provider: no plain drop
    expect(slipDistance('outlok', 'outlook', 2, false)).toBe(1); // a dropped double letter
  });

  it('knows the largest providers, whose look-alikes are mostly squatters', () => {
    expect(isMajorProvider('gmail.com')).toBe(true);
    expect(isMajorProvider('yahoo.co.uk')).toBe(true);
    expect(isMajorProvider('comcast.net')).toBe(false);
    expect(isMajorProvider('gmail.example')).toBe(false);
  });

  it('returns the whole corrected address, local part untouched', () => {
    expect(didYouMean('Jane.Doe', 'gmial.com')).toBe('Jane.Doe@gmail.com');
    expect(didYouMean('jane', 'gmail.com')).toBeNull();
  });

  it('weighs a keyboard-neighbour slip less than a random substitution', () => {
    expect(typoDistance('gnail', 'gmail', 2)).toBe(1); // n is next to m
    expect(typoDistance('email', 'gmail', 2)).toBe(2); // e is not next to g
    expect(typoDistance('gmial', 'gmail', 2)).toBe(1); // transposition
  });
});
