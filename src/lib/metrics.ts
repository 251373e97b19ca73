import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequests = new Histogram({
  name: 'mailsift_http_request_duration_seconds',
  help: 'HTTP requests by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const verifiedAddresses = new Counter({
  name: 'mailsift_verified_addresses_total',
  help: 'Addresses given a verdict by workers, by status',
  labelNames: ['status'] as const,
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
