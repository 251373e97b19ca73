import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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

export const metricsContentType = registry.contentType;
export const metricsText = () => registry.metrics();
