import { z } from 'zod';
import type { DiagnosticsReport } from '../../validation/diagnostics.ts';

/** GET /admin/diagnostics: the probing host's self-check (docs/network.md). */

export const diagnosticCheckSchema = z
  .object({
    check: z
      .enum(['resolver', 'smtp_outbound', 'reverse_dns', 'blocklist', 'proxy'])
      .describe(
        '`resolver`: canary domains have MX and a random name is NXDOMAIN; `smtp_outbound`: a canary MX greets on the SMTP port (directly, from each source address, through each proxy); `reverse_dns`: forward-confirmed reverse DNS of a probing IP matches its HELO name; `blocklist`: a probing IP on a DNS blocklist; `proxy`: connections through a proxy while probing.',
      ),
    target: z
      .string()
      .describe('`dns`, `direct`, `direct from <ip>`, `proxy <name>`, an IP, `<ip> @ <zone>`.'),
    status: z.enum(['ok', 'warn', 'fail', 'skipped']),
    detail: z.string(),
  })
  .meta({ id: 'DiagnosticCheck' });

export const diagnosticsSchema = z
  .object({
    ok: z.boolean().describe('No check failed (warnings and skipped checks do not count).'),
    checked_at: z.iso.datetime({ offset: true }),
    duration_ms: z.int().min(0),
    checks: z.array(diagnosticCheckSchema),
  })
  .meta({ id: 'Diagnostics' });

export type Diagnostics = z.infer<typeof diagnosticsSchema>;

export const toDiagnostics = (r: DiagnosticsReport): Diagnostics => ({
  ok: r.ok,
  checked_at: r.checked_at,
  duration_ms: r.duration_ms,
  checks: r.checks.map((c) => ({ ...c })),
});
