/**
 * Address syntax against a corpus of cases from published validator test suites (isemail,
 * pyIsEmail, python-email-validator, validator.js), with mailsift's expectation and, where it
 * differs from the source, the reason (fixtures/syntax-corpus.json `note`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../src/validation/syntax.ts';

interface CorpusCase {
  input: string;
  valid: boolean;
  source: string;
  note?: string;
  normalized?: string;
  domainLiteral?: boolean;
  smtpUtf8?: boolean;
}

const corpus = JSON.parse(
  readFileSync(new URL('./fixtures/syntax-corpus.json', import.meta.url), 'utf8'),
) as CorpusCase[];

describe('parseAddress on the published corpus', () => {
  it('holds at least 150 cases from at least three suites', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    const suites = new Set(corpus.map((c) => c.source.split('#')[0]));
    expect(suites.size).toBeGreaterThanOrEqual(3);
  });

  it.each(corpus.map((c) => [JSON.stringify(c.input), c.source, c] as const))(
    '%s (%s)',
    (_name, _source, c) => {
      const parsed = parseAddress(c.input);
      expect(parsed.valid, c.note ?? '').toBe(c.valid);
      if (!c.valid) {
        expect(parsed).toMatchObject({ normalized: null, local: null, domain: null });
        return;
      }
      if (c.normalized !== undefined) expect(parsed.normalized).toBe(c.normalized);
      if (c.domainLiteral !== undefined) expect(parsed.domainLiteral).toBe(c.domainLiteral);
      if (c.smtpUtf8 !== undefined) expect(parsed.smtpUtf8).toBe(c.smtpUtf8);
    },
  );
});

describe('parseAddress normalisation', () => {
  it('trims, lower-cases the domain and keeps the local part as written', () => {
    expect(parseAddress('  Alice.Smith@Example.COM \t')).toEqual({
      valid: true,
      normalized: 'Alice.Smith@example.com',
      local: 'Alice.Smith',
      domain: 'example.com',
      domainLiteral: false,
      smtpUtf8: false,
    });
  });

  it('converts an internationalised domain to its A-labels', () => {
    expect(parseAddress('info@Bücher.DE').normalized).toBe('info@xn--bcher-kva.de');
    expect(parseAddress('user@xn--bcher-kva.de').domain).toBe('xn--bcher-kva.de');
  });

  it('marks a UTF-8 local part as needing SMTPUTF8 and counts its length in octets', () => {
    expect(parseAddress('josé@example.com').smtpUtf8).toBe(true);
    expect(parseAddress(`${'é'.repeat(32)}@example.com`).valid).toBe(true); // 64 octets
    expect(parseAddress(`${'é'.repeat(33)}@example.com`).valid).toBe(false); // 66 octets
  });

  it('keeps an address literal valid but flagged, in canonical case', () => {
    expect(parseAddress('root@[IPv6:2001:DB8::1]')).toMatchObject({
      valid: true,
      domain: '[IPv6:2001:db8::1]',
      domainLiteral: true,
    });
    expect(parseAddress('root@[ipv6:::1]').domain).toBe('[IPv6:::1]');
    expect(parseAddress('root@[IPv6:fe80::1%eth0]').valid).toBe(false);
  });

  it('enforces 64 octets per local part, 63 per label and 254 in all', () => {
    expect(parseAddress(`${'a'.repeat(64)}@example.com`).valid).toBe(true);
    expect(parseAddress(`${'a'.repeat(65)}@example.com`).valid).toBe(false);
    expect(parseAddress(`a@${'b'.repeat(63)}.com`).valid).toBe(true);
    expect(parseAddress(`a@${'b'.repeat(64)}.com`).valid).toBe(false);
    const domain = `${'c'.repeat(63)}.${'c'.repeat(63)}.${'c'.repeat(63)}.${'c'.repeat(57)}.com`; // 253
    expect(parseAddress(`a@${domain}`).valid).toBe(false); // 255 in all
    expect(parseAddress(`a@${domain.slice(2)}`).valid).toBe(true);
  });

  it('never throws, whatever the input', () => {
    for (const input of [
      '',
      '@',
      '@@',
      '"',
      '"@',
      '[',
      'a@[',
      'a@]',
      '\u0000',
      'x'.repeat(10_000),
      '"a"@',
      'a@.',
    ]) {
      expect(() => parseAddress(input)).not.toThrow();
    }
  });
});
