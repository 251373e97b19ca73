import { describe, expect, it } from 'vitest';
import { didYouMean, suggestDomain, typoDistance } from '../../../src/validation/typo.ts';

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
