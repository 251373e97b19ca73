/**
 * Verdict composition: what syntax, lists, DNS and the SMTP probe add up to (verdict.ts), pure.
 */
import { describe, expect, it } from 'vitest';
import type { DomainMail } from '../../../src/validation/dns.ts';
import type { ProbeOutcome } from '../../../src/validation/probe.ts';
import { parseAddress } from '../../../src/validation/syntax.ts';
import { composeVerdict, factsOf, type ProbeFacts } from '../../../src/validation/verdict.ts';

const MX: DomainMail = {
  kind: 'mx',
  hosts: [{ exchange: 'mx1.example.com', preference: 10 }],
  implicit: false,
};
const reply = (code: number, enhanced: string | null, text: string): ProbeOutcome => ({
  kind: 'reply',
  reply: { code, enhanced, text, lines: [`${code} ${text}`] },
});
const probe = (outcome: ProbeOutcome, catchAll: boolean | null = false): ProbeFacts => ({
  outcome,
  mxHost: 'mx1.example.com',
  catchAll,
});

function verdict(email: string, dns: DomainMail | null, p: ProbeFacts | null) {
  const facts = factsOf(parseAddress(email));
  if (!facts) throw new Error(`invalid test address ${email}`);
  return composeVerdict(facts, dns, p);
}

describe('verdict composition', () => {
  it('an accepted mailbox is deliverable with every check filled', () => {
    expect(verdict('Jane@Example.com', MX, probe(reply(250, '2.1.5', 'OK')))).toEqual({
      status: 'deliverable',
      reason: 'accepted_email',
      temporary: false,
      didYouMean: null,
      normalized: 'Jane@example.com',
      checks: {
        syntax: true,
        domain: 'example.com',
        mx_found: true,
        mx_host: 'mx1.example.com',
        disposable: false,
        role: false,
        free: false,
        catch_all: false,
        smtp: { code: 250, enhanced_code: '2.1.5', message: 'OK' },
        provider: null,
        gateway: null,
      },
    });
  });

  it('accepted at a catch-all domain is risky / catch_all', () => {
    expect(verdict('jane@example.com', MX, probe(reply(250, null, 'OK'), true))).toMatchObject({
      status: 'risky',
      reason: 'catch_all',
      checks: { catch_all: true },
    });
  });

  it('a role account is risky unless SMTP rejects it', () => {
    expect(verdict('info@example.com', MX, probe(reply(250, null, 'OK')))).toMatchObject({
      reason: 'role_account',
    });
    expect(verdict('info@example.com', MX, probe({ kind: 'timeout' }))).toMatchObject({
      reason: 'role_account',
    });
    expect(
      verdict('info@example.com', MX, probe(reply(550, '5.1.1', 'User unknown'))),
    ).toMatchObject({
      status: 'undeliverable',
      reason: 'rejected_email',
    });
    expect(verdict('sales@example.com', MX, null)).toMatchObject({
      status: 'risky',
      reason: 'role_account',
    });
  });

  it('a disposable domain is risky / disposable and its mailbox is not looked at', () => {
    expect(verdict('x@mailinator.com', MX, null)).toMatchObject({
      status: 'risky',
      reason: 'disposable',
      checks: { disposable: true },
    });
  });

  it('DNS decides before anything else can', () => {
    expect(verdict('x@example.com', { kind: 'nxdomain' }, null)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_domain',
    });
    expect(verdict('x@example.com', { kind: 'null_mx' }, null)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_domain',
    });
    expect(verdict('x@example.com', { kind: 'no_mx' }, null)).toMatchObject({
      status: 'undeliverable',
      reason: 'no_mx',
    });
    expect(verdict('x@example.com', { kind: 'error', error: 'servfail' }, null)).toMatchObject({
      status: 'unknown',
      reason: 'dns_error',
      temporary: true,
    });
  });

  it('without a probe (quick mode, plans without SMTP) a clean address with MX is deliverable, smtp null', () => {
    expect(verdict('jane@example.com', MX, null)).toMatchObject({
      status: 'deliverable',
      reason: 'accepted_email',
      checks: { smtp: null, catch_all: null, mx_found: true },
    });
    expect(verdict('jane@gmial.com', MX, null)).toMatchObject({
      status: 'risky',
      reason: 'low_quality',
      didYouMean: 'jane@gmail.com',
    });
  });

  it('without a probe, a look-alike of a smaller provider with working MX keeps its verdict and only suggests', () => {
    expect(verdict('jane@comcats.net', MX, null)).toMatchObject({
      status: 'deliverable',
      reason: 'accepted_email',
      didYouMean: 'jane@comcast.net',
    });
    expect(verdict('jane@pcloud.com', MX, null)).toMatchObject({
      status: 'deliverable',
      didYouMean: null,
    });
  });

  it('a domain literal is never probed and is risky / low_quality', () => {
    expect(verdict('root@[192.0.2.1]', null, null)).toMatchObject({
      status: 'risky',
      reason: 'low_quality',
      checks: { mx_found: false, smtp: null },
    });
  });

  it.each([
    [{ kind: 'timeout' }, 'unknown', 'timeout', false],
    [{ kind: 'no_connect' }, 'unknown', 'no_connect', false],
    [{ kind: 'private' }, 'unknown', 'no_connect', false],
    [{ kind: 'dropped' }, 'unknown', 'smtp_unavailable', false],
    [{ kind: 'dns_error' }, 'unknown', 'dns_error', true],
    [{ kind: 'no_slot' }, 'unknown', 'smtp_unavailable', true],
    [{ kind: 'utf8_unsupported' }, 'unknown', 'smtp_unavailable', false],
    [{ kind: 'no_host' }, 'undeliverable', 'no_mx', false],
  ] as const)('probe outcome %o -> %s / %s', (outcome, status, reason, temporary) => {
    expect(verdict('jane@example.com', MX, probe(outcome as ProbeOutcome, null))).toMatchObject({
      status,
      reason,
      temporary,
    });
  });

  it('a refusal before RCPT is about us, never the mailbox', () => {
    const refused = (code: number, text: string): ProbeOutcome => ({
      kind: 'refused',
      stage: 'banner',
      reply: { code, enhanced: null, text, lines: [] },
    });
    expect(verdict('a@example.com', MX, probe(refused(554, 'No SMTP service here')))).toMatchObject(
      { status: 'unknown', reason: 'smtp_unavailable' },
    );
    expect(verdict('a@example.com', MX, probe(refused(550, 'Mailbox unavailable')))).toMatchObject({
      status: 'unknown',
    });
    expect(
      verdict('a@example.com', MX, probe(refused(554, 'blocked using zen.spamhaus.org'))),
    ).toMatchObject({ reason: 'blocked' });
    expect(verdict('a@example.com', MX, probe(refused(421, 'Too busy')))).toMatchObject({
      temporary: true,
    });
  });
});
