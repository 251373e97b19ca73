import { describe, expect, it } from 'vitest';
import {
  disposableDomains,
  freeProviderDomains,
  isDisposableDomain,
  isFreeProvider,
  isRoleAccount,
  roleLocalParts,
} from '../../../src/validation/lists.ts';

describe('domain and local-part lists', () => {
  it('loads the packaged lists once, as sets of lower-case names', () => {
    expect(disposableDomains().size).toBeGreaterThan(50_000);
    expect(freeProviderDomains().size).toBeGreaterThan(5_000);
    expect(roleLocalParts().size).toBeGreaterThan(500);
    expect(disposableDomains()).toBe(disposableDomains());
  });

  it('knows disposable domains, and subdomains of wildcard ones only', () => {
    expect(isDisposableDomain('mailinator.com')).toBe(true);
    expect(isDisposableDomain('guerrillamail.com')).toBe(true);
    expect(isDisposableDomain('gmail.com')).toBe(false);
    expect(isDisposableDomain('example.com')).toBe(false);
    expect(isDisposableDomain('anything.33mail.com')).toBe(true); // 33mail.com is a wildcard entry
    // za.com is listed, but it is a registry: its customers are not disposable
    expect(isDisposableDomain('acme.za.com')).toBe(false);
  });

  it('knows free mailbox providers and not companies', () => {
    for (const d of [
      'gmail.com',
      'yahoo.com',
      'hotmail.com',
      'outlook.com',
      'icloud.com',
      'gmx.de',
      'proton.me',
      'mail.ru',
      'qq.com',
    ]) {
      expect(isFreeProvider(d), d).toBe(true);
    }
    expect(isFreeProvider('acme-corp-industries.com')).toBe(false);
  });

  it('knows role accounts, ignoring case and a +tag', () => {
    for (const l of [
      'info',
      'Sales',
      'support',
      'postmaster',
      'abuse',
      'noreply',
      'admin+billing',
    ]) {
      expect(isRoleAccount(l), l).toBe(true);
    }
    for (const l of ['jane.doe', 'j.smith', 'alice']) expect(isRoleAccount(l), l).toBe(false);
  });
});
