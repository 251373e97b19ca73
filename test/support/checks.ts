import type { Checks } from '../../src/validation/types.ts';

/**
 * What an address at `domain` with an MX and nothing special was checked as (`extra` overrides):
 * test data and benchmarks that write verdicts without running the engine.
 */
export const checkedAt = (domain: string, extra: Partial<Checks> = {}): Checks => ({
  syntax: true,
  domain,
  mx_found: true,
  mx_host: `mx.${domain}`,
  disposable: false,
  role: false,
  free: false,
  catch_all: false,
  smtp: null,
  provider: null,
  gateway: null,
  ...extra,
});
