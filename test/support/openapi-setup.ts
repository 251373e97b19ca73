import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { checkedResponses, takeViolations } from './openapi-checker.ts';

/**
 * Loaded by vitest before every test file (vitest.config.ts `setupFiles`): a response that the
 * OpenAPI document does not describe fails the test during which it was answered; one answered
 * in a beforeAll/afterAll fails the file. The counts go to the global teardown's summary.
 */
function fail(violations: string[]) {
  if (violations.length === 0) return;
  throw new Error(
    `${violations.length} response(s) the OpenAPI document does not describe:\n  ${violations.join('\n  ')}`,
  );
}

afterEach(async () => {
  const violations = takeViolations();
  // Checking is synchronous: let timers that fell due meanwhile (idle sockets) run first.
  await new Promise((r) => setTimeout(r, 0));
  fail(violations);
});

afterAll(() => {
  const violations = takeViolations();
  const { checked, seen } = checkedResponses();
  const dir = process.env.MAILSIFT_OPENAPI_COUNTS;
  if (dir && checked > 0) {
    mkdirSync(dir, { recursive: true });
    appendFileSync(
      path.join(dir, 'counts.jsonl'),
      `${JSON.stringify({ checked, seen: [...seen] })}\n`,
    );
  }
  fail(violations);
});
