import { describe, expect, it } from 'vitest';
import { simulateTestVerdict, TEST_MODE_LOCAL_PARTS } from '../../../src/validation/test-mode.ts';
import { VERDICT_REASONS } from '../../../src/validation/types.ts';

describe('test mode (no network)', () => {
  it.each([
    ['deliverable@example.com', 'deliverable', 'accepted_email'],
    ['undeliverable@example.com', 'undeliverable', 'rejected_email'],
    ['risky@example.com', 'risky', 'low_quality'],
    ['unknown@example.com', 'unknown', 'unexpected_error'],
    ['catchall@example.com', 'risky', 'catch_all'],
    ['timeout@example.com', 'unknown', 'timeout'],
    ['Timeout+42@Example.com', 'unknown', 'timeout'],
    ['dns_error@example.com', 'unknown', 'dns_error'],
    ['anyone.else@example.com', 'deliverable', 'accepted_email'],
    // A keyword for every reason of API.md.
    ['accepted_email@example.com', 'deliverable', 'accepted_email'],
    ['invalid_syntax@example.com', 'undeliverable', 'invalid_syntax'],
    ['invalid_domain@example.com', 'undeliverable', 'invalid_domain'],
    ['no_mx@example.com', 'undeliverable', 'no_mx'],
    ['rejected_email@example.com', 'undeliverable', 'rejected_email'],
    ['catch_all@example.com', 'risky', 'catch_all'],
    ['disposable@example.com', 'risky', 'disposable'],
    ['role@example.com', 'risky', 'role_account'],
    ['role_account@example.com', 'risky', 'role_account'],
    ['mailbox_full@example.com', 'risky', 'mailbox_full'],
    ['Mailbox-Full+7@example.com', 'risky', 'mailbox_full'],
    ['low_quality@example.com', 'risky', 'low_quality'],
    ['no_connect@example.com', 'unknown', 'no_connect'],
    ['smtp_unavailable@example.com', 'unknown', 'smtp_unavailable'],
    ['greylisted@example.com', 'unknown', 'greylisted'],
    ['blocked@example.com', 'unknown', 'blocked'],
    ['unexpected_error@example.com', 'unknown', 'unexpected_error'],
    // No keyword: the real lists, which need no network.
    ['someone@mailinator.com', 'risky', 'disposable'],
    ['info@example.com', 'risky', 'role_account'],
    ['ann@gmial.com', 'risky', 'low_quality'],
    ['ann@gmail.com', 'deliverable', 'accepted_email'],
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

  it("every reason a verdict can give (API.md's and dns_error) has a keyword", () => {
    const seen = new Set(
      TEST_MODE_LOCAL_PARTS.map((k) => simulateTestVerdict(`${k}@example.com`).reason),
    );
    expect([...seen].sort()).toEqual([...VERDICT_REASONS].sort());
  });

  it('applies the real disposable, role and free lists to any other address', () => {
    expect(simulateTestVerdict('someone@mailinator.com')).toMatchObject({
      checks: { disposable: true, smtp: null, mx_found: true },
    });
    expect(simulateTestVerdict('ann@gmail.com').checks).toMatchObject({
      free: true,
      role: false,
      disposable: false,
    });
    expect(simulateTestVerdict('ann@example.com').checks.free).toBe(false);
    // A keyword wins over the lists, and keeps the lists' own facts in checks.
    expect(simulateTestVerdict('deliverable@mailinator.com')).toMatchObject({
      status: 'deliverable',
      checks: { disposable: true },
    });
    expect(simulateTestVerdict('no_mx@example.com').checks).toMatchObject({
      mx_found: false,
      mx_host: null,
    });
  });
});
