import { describe, expect, it } from 'vitest';
import { promqlMetricNames } from '../../support/promql-names.ts';

// The reader behind the dashboard and rules check (test/integration/ops/service-metrics.test.ts):
// a name it missed would go unchecked, a label or function taken for a name would fail the check.
describe('promqlMetricNames', () => {
  it('when an expression has functions, grouping, matchers, ranges, variables and numbers, then only the metric names are read', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, provider) (rate(mailsift_smtp_session_duration_seconds_bucket{provider=~"google|other"}[$__rate_interval])))',
      ),
    ).toEqual(['mailsift_smtp_session_duration_seconds_bucket']);
    expect(
      promqlMetricNames(
        'sum by (provider) (rate(mailsift_probe_results_total{reason="blocked"}[15m])) / sum by (provider) (rate(mailsift_probe_results_total[15m])) > 0.05 and sum by (provider) (increase(mailsift_probe_results_total[15m])) >= 20',
      ),
    ).toEqual(['mailsift_probe_results_total']);
    expect(
      promqlMetricNames(
        'sum by (instance) (process_resident_memory_bytes) / 1e9 + on(instance) group_left(role) up offset 5m',
      ),
    ).toEqual(['process_resident_memory_bytes', 'up']);
    expect(promqlMetricNames('absent(mailsift_queue_tasks) or vector(0)')).toEqual([
      'mailsift_queue_tasks',
    ]);
  });
});
