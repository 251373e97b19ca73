import { describe, expect, it } from 'vitest';
import { simulateTestVerdict } from '../../../src/validation/test-mode.ts';

describe('test mode (no network)', () => {
  it.each([
    ['deliverable@example.com', 'deliverable', 'accepted_email'],
    ['undeliverable@example.com', 'undeliverable', 'rejected_email'],
    ['risky@example.com', 'risky', 'low_quality'],
    ['unknown@example.com', 'unknown', 'unexpected_error'],
    ['catchall@example.com', 'risky', 'catch_all'],
    ['timeout@example.com', 'unknown', 'timeout'],
    ['Timeout+42@Example.com', 'unknown', 'timeout'],
    ['anyone.else@example.com', 'deliverable', 'accepted_email'],
  ])('%s -> %s / %s', (email, status, reason) => {
    expect(simulateTestVerdict(email)).toMatchObject({
      status,
      reason,
      temporary: false,
      durationMs: 0,
    });
  });

  it('checks syntax for real', () => {
    expect(simulateTestVerdict('deliverable@@example.com')).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_syntax',
      normalized: null,
      checks: { syntax: false, domain: null },
    });
  });

  it('fills the checks plausibly and deterministically', () => {
    const v = simulateTestVerdict(' catchall@Example.COM ');
    expect(v).toEqual(simulateTestVerdict(' catchall@Example.COM '));
    expect(v.normalized).toBe('catchall@example.com');
    expect(v.checks).toMatchObject({
      syntax: true,
      domain: 'example.com',
      mx_found: true,
      catch_all: true,
    });
    expect(v.checks.smtp).toMatchObject({ code: 250 });
    expect(simulateTestVerdict('undeliverable@example.com').checks.smtp).toMatchObject({
      code: 550,
      enhanced_code: '5.1.1',
    });
    expect(simulateTestVerdict('info@gmial.com')).toMatchObject({
      didYouMean: 'info@gmail.com',
      checks: { role: true },
    });
  });
});
