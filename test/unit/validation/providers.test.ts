/**
 * The provider and gateway table (providers.ts): detection from real MX host names, and what
 * the verdict makes of an accepted RCPT at each kind of provider (verdict.ts).
 */
import { describe, expect, it } from 'vitest';
import type { DomainMail } from '../../../src/validation/dns.ts';
import type { ProbeOutcome } from '../../../src/validation/probe.ts';
import { detectServices, MAIL_SERVICES, serviceOfHost } from '../../../src/validation/providers.ts';
import { parseAddress } from '../../../src/validation/syntax.ts';
import { composeVerdict, factsOf } from '../../../src/validation/verdict.ts';

// Real MX host names, as the domains publish them.
describe.each([
  ['gmail-smtp-in.l.google.com', 'google', 'mailbox', 'reliable'],
  ['alt2.gmail-smtp-in.l.google.com.', 'google', 'mailbox', 'reliable'],
  ['aspmx.l.google.com', 'google', 'mailbox', 'normal'],
  ['alt1.aspmx.l.google.com', 'google', 'mailbox', 'normal'],
  ['aspmx2.googlemail.com', 'google', 'mailbox', 'normal'],
  ['smtp.google.com', 'google', 'mailbox', 'normal'],
  ['hotmail-com.olc.protection.outlook.com', 'microsoft', 'mailbox', 'reliable'],
  ['eur.olc.protection.outlook.com.', 'microsoft', 'mailbox', 'reliable'],
  ['contoso-com.mail.protection.outlook.com', 'microsoft', 'mailbox', 'normal'],
  ['contoso-com.l-v1.mx.microsoft', 'microsoft', 'mailbox', 'normal'],
  ['mta5.am0.yahoodns.net', 'yahoo', 'mailbox', 'accepts_all'],
  ['mx-aol.mail.gm0.yahoodns.net', 'yahoo', 'mailbox', 'accepts_all'],
  ['mx01.mail.icloud.com', 'apple', 'mailbox', 'normal'],
  ['mx.zoho.com', 'zoho', 'mailbox', 'normal'],
  ['mx2.zoho.eu', 'zoho', 'mailbox', 'normal'],
  ['mail.protonmail.ch', 'proton', 'mailbox', 'normal'],
  ['mx.yandex.net', 'yandex', 'mailbox', 'normal'],
  ['mxs.mail.ru', 'mailru', 'mailbox', 'normal'],
  ['mx00.gmx.net', 'gmx', 'mailbox', 'normal'],
  ['mx-ha03.web.de', 'gmx', 'mailbox', 'normal'],
  ['in1-smtp.messagingengine.com', 'fastmail', 'mailbox', 'normal'],
  ['us-smtp-inbound-1.mimecast.com', 'mimecast', 'gateway', 'normal'],
  ['eu-smtp-inbound-2.mimecast.com', 'mimecast', 'gateway', 'normal'],
  ['mx0a-00123456.pphosted.com', 'proofpoint', 'gateway', 'normal'],
  ['d123456a.ess.barracudanetworks.com', 'barracuda', 'gateway', 'normal'],
  ['mx1.hc1234-56.iphmx.com', 'cisco', 'gateway', 'normal'],
  ['example-com.mail.protection.trendmicro.com', 'trendmicro', 'gateway', 'normal'],
  ['mx-01-eu-central-1.prod.hydra.sophos.com', 'sophos', 'gateway', 'normal'],
  ['cluster1.eu.messagelabs.com', 'broadcom', 'gateway', 'normal'],
  ['cust12345-1.in.mailcontrol.com', 'forcepoint', 'gateway', 'normal'],
] as const)('serviceOfHost(%s)', (host, id, kind, rcpt) => {
  it(`is ${id} (${kind}, rcpt ${rcpt})`, () => {
    expect(serviceOfHost(host)).toMatchObject({ id, kind, rcpt });
  });
});

describe('provider detection', () => {
  it('knows no provider for a host merely named like one', () => {
    for (const host of ['mail.example.com', 'notgoogle.com', 'google.com.evil.test', 'yahoo.com'])
      expect(serviceOfHost(host), host).toBeNull();
  });

  it('lets only the most preferred MX hosts decide (a backup MX elsewhere says nothing)', () => {
    const own = [
      { exchange: 'mx.example.com', preference: 10 },
      { exchange: 'aspmx.l.google.com', preference: 20 },
    ];
    expect(detectServices(own)).toEqual({ provider: null, gateway: null });
    const gw = detectServices([
      { exchange: 'us-smtp-inbound-1.mimecast.com', preference: 10 },
      { exchange: 'us-smtp-inbound-2.mimecast.com', preference: 10 },
    ]);
    expect(gw.gateway?.id).toBe('mimecast');
    expect(gw.provider).toBeNull();
  });

  it('gives every table row an id, a name and suffixes that can match a host', () => {
    for (const s of MAIL_SERVICES) {
      expect(s.id).toMatch(/^[a-z0-9-]+$/);
      expect(s.name.length).toBeGreaterThan(1);
      for (const suffix of s.mx) expect(suffix).toMatch(/^\.?[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    }
  });
});

const mx = (...hosts: string[]): DomainMail => ({
  kind: 'mx',
  hosts: hosts.map((exchange) => ({ exchange, preference: 10 })),
  implicit: false,
});
const accepted: ProbeOutcome = {
  kind: 'reply',
  reply: { code: 250, enhanced: '2.1.5', text: 'OK', lines: ['250 2.1.5 OK'] },
};
const rejected: ProbeOutcome = {
  kind: 'reply',
  reply: {
    code: 554,
    enhanced: null,
    text: "delivery error: dd This user doesn't have a yahoo.com account",
    lines: [],
  },
};

function verdict(email: string, dns: DomainMail, outcome: ProbeOutcome, catchAll: boolean | null) {
  const facts = factsOf(parseAddress(email))!;
  return composeVerdict(facts, dns, { outcome, mxHost: null, catchAll });
}

describe('verdicts at known providers', () => {
  it('reports the provider and the gateway in checks, with or without a probe', () => {
    const facts = factsOf(parseAddress('jane@example.com'))!;
    expect(composeVerdict(facts, mx('aspmx.l.google.com'), null).checks).toMatchObject({
      provider: 'google',
      gateway: null,
    });
    expect(composeVerdict(facts, mx('mx0a-001.pphosted.com'), null).checks).toMatchObject({
      provider: null,
      gateway: 'proofpoint',
    });
    expect(composeVerdict(facts, mx('mx.example.com'), null).checks).toMatchObject({
      provider: null,
      gateway: null,
    });
  });

  it('never calls an address deliverable because Yahoo accepted it: risky / catch_all', () => {
    const v = verdict('jane@yahoo.com', mx('mta5.am0.yahoodns.net'), accepted, null);
    expect(v).toMatchObject({ status: 'risky', reason: 'catch_all' });
    expect(v.checks).toMatchObject({ provider: 'yahoo', catch_all: true });
    // A refusal at RCPT is still believed.
    expect(verdict('jane@yahoo.com', mx('mta5.am0.yahoodns.net'), rejected, null)).toMatchObject({
      status: 'undeliverable',
      reason: 'rejected_email',
    });
  });

  it('believes an accepted address behind a gateway unless the catch-all probe proved otherwise', () => {
    const dns = mx('eu-smtp-inbound-1.mimecast.com');
    expect(verdict('jane@example.com', dns, accepted, false)).toMatchObject({
      status: 'deliverable',
      checks: { gateway: 'mimecast', provider: null, catch_all: false },
    });
    expect(verdict('jane@example.com', dns, accepted, true)).toMatchObject({
      status: 'risky',
      reason: 'catch_all',
    });
  });

  it('keeps an accepted Gmail address deliverable and any gateway that proved a catch-all risky', () => {
    expect(
      verdict('jane@gmail.com', mx('gmail-smtp-in.l.google.com'), accepted, false),
    ).toMatchObject({
      status: 'deliverable',
      checks: { provider: 'google', catch_all: false },
    });
    expect(verdict('jane@example.com', mx('mx0a-001.pphosted.com'), accepted, true)).toMatchObject({
      status: 'risky',
      reason: 'catch_all',
    });
  });

  it('ignores the table when the domain has no MX (its own A record stands in)', () => {
    const implicit: DomainMail = {
      kind: 'mx',
      hosts: [{ exchange: 'mx.mail.ru', preference: 0 }],
      implicit: true,
    };
    expect(verdict('jane@mx.mail.ru', implicit, accepted, false).checks.provider).toBeNull();
  });
});
