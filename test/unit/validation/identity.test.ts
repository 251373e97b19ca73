import { describe, expect, it } from 'vitest';
import { assertProbeIdentity, type EngineConfig } from '../../../src/validation/engine.ts';

const config = (heloName: string, mailFrom: string, production = true): EngineConfig => ({
  production,
  dns: { servers: [], timeoutMs: 1000 },
  smtp: {
    port: 25,
    heloName,
    mailFrom,
    timeoutMs: 30_000,
    allowPrivate: false,
    maxConnectionsPerHost: 3,
  },
});

describe('probe identity in production', () => {
  it('accepts a real domain the operator controls', () => {
    expect(() =>
      assertProbeIdentity(config('probe.mailsift.io', 'verify@mailsift.io')),
    ).not.toThrow();
  });

  it.each([
    ['localhost', 'verify@mailsift.io', /SMTP_HELO_NAME/],
    ['ip-10-0-0-5', 'verify@mailsift.io', /SMTP_HELO_NAME/],
    ['192.0.2.10', 'verify@mailsift.io', /SMTP_HELO_NAME/],
    ['mx.gmail.com', 'verify@mailsift.io', /SMTP_HELO_NAME.*gmail\.com/],
    ['probe.mailsift.io', 'someone@gmail.com', /SMTP_MAIL_FROM.*gmail\.com/],
    ['probe.mailsift.io', 'verify@yahoo.com', /SMTP_MAIL_FROM/],
    ['probe.mailsift.io', 'verify@localhost', /SMTP_MAIL_FROM/],
    ['probe.mailsift.io', 'not-an-address', /SMTP_MAIL_FROM/],
  ])('refuses HELO %s with MAIL FROM %s', (helo, from, message) => {
    expect(() => assertProbeIdentity(config(helo, from))).toThrow(message);
  });

  it('leaves development and tests alone', () => {
    expect(() => assertProbeIdentity(config('localhost', 'verify@localhost', false))).not.toThrow();
  });
});
