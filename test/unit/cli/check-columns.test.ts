import { describe, expect, it } from 'vitest';
import { CHECK_COLUMNS as served } from '../../../src/domain/jobs/export-results.ts';
import { CHECK_COLUMNS as offered } from '../../../sdk/src/index.ts';

describe('the check columns the SDK and the CLI offer', () => {
  it('when the server adds or drops a check column, then the SDK (and the CLI, which takes its list) must follow', () => {
    expect([...offered]).toEqual([...served]);
  });
});
