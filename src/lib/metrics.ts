import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequests = new Histogram({
  name: 'mailsift_http_request_duration_seconds',
  help: 'HTTP requests by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const dependencyUp = new Gauge({
  name: 'mailsift_dependency_up',
  help: 'Whether this process reaches a backing service (1) or not (0), as its workers see it',
  labelNames: ['dependency'] as const,
  registers: [registry],
});

export const workersPaused = new Gauge({
  name: 'mailsift_workers_paused',
  help: '1 while the workers take no tasks because a backing service is unreachable',
  registers: [registry],
});

export const tasksHandedBack = new Counter({
  name: 'mailsift_tasks_handed_back_total',
  help: 'Tasks put back in their queue without using an attempt, by reason (outage, shutdown)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const metricsContentType = registry.contentType;
export const metricsText = () => registry.metrics();

/** The probing host's self-check (GET /admin/diagnostics): 1 ok, 0 failed, by check and target. */
export const networkCheck = new Gauge({
  name: 'mailsift_network_check_ok',
  help: 'Self-check of the probing host (resolver, port 25, reverse DNS, blocklists): 1 ok or warn, 0 failed; skipped checks absent',
  labelNames: ['check', 'target'] as const,
  registers: [registry],
});

export function recordDiagnostics(report: {
  checks: { check: string; target: string; status: string }[];
}): void {
  networkCheck.reset();
  for (const c of report.checks)
    if (c.status !== 'skipped')
      networkCheck.set({ check: c.check, target: c.target }, c.status === 'fail' ? 0 : 1);
}

/**
 * The class label of a protocol reply code (`2xx` … `5xx`): SMTP replies and webhook responses.
 * Codes outside `[lowest, 600)` are `other`, so the label stays bounded whatever a peer sends.
 */
export function codeClass(code: number, lowest = 100): string {
  return code >= lowest && code < 600 ? `${Math.floor(code / 100)}xx` : 'other';
}
