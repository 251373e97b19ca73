import { describe, expect, it } from 'vitest';
import { codeClass } from '../../../src/lib/metrics.ts';

describe('codeClass', () => {
  it('names the class of every code in range', () => {
    expect(codeClass(100)).toBe('1xx');
    expect(codeClass(204)).toBe('2xx');
    expect(codeClass(301)).toBe('3xx');
    expect(codeClass(421)).toBe('4xx');
    expect(codeClass(599)).toBe('5xx');
  });

  it('keeps the label bounded: codes out of range are "other"', () => {
    expect(codeClass(99)).toBe('other');
    expect(codeClass(600)).toBe('other');
    expect(codeClass(-1)).toBe('other');
    expect(codeClass(Number.NaN)).toBe('other');
  });

  it('takes the lowest class a protocol has (SMTP has no 1xx)', () => {
    expect(codeClass(150, 200)).toBe('other');
    expect(codeClass(250, 200)).toBe('2xx');
  });
});
