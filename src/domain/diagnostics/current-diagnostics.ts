import type { Deps } from '../../deps.ts';
import { recordDiagnostics } from '../../lib/metrics.ts';
import type { DiagnosticsReport } from '../../validation/diagnostics.ts';

/** The latest self-check when it is recent, else a fresh one (which also updates the gauges). */
export async function currentDiagnostics(
  deps: Pick<Deps, 'verifier' | 'config'>,
  refresh = false,
): Promise<DiagnosticsReport> {
  const last = deps.verifier.lastSelfCheck();
  const maxAge = deps.config.diagnostics.intervalMs || 300_000;
  if (!refresh && last && Date.now() - Date.parse(last.checked_at) < maxAge) return last;
  const report = await deps.verifier.selfCheck();
  recordDiagnostics(report);
  return report;
}

/**
 * Runs the self-check now and every DIAGNOSTICS_INTERVAL_MS (0: only now); `onReport` sees each
 * report (npm start prints what is wrong). Returns a stop function for the shutdown registry.
 */
export function scheduleSelfChecks(
  deps: Pick<Deps, 'verifier' | 'config'>,
  onReport: (report: DiagnosticsReport, first: boolean) => void,
  onError: (err: unknown) => void,
): () => void {
  let first = true;
  const run = () =>
    deps.verifier.selfCheck().then((report) => {
      recordDiagnostics(report);
      onReport(report, first);
      first = false;
    }, onError);
  void run();
  const every = deps.config.diagnostics.intervalMs;
  if (every <= 0) return () => undefined;
  const timer = setInterval(() => void run(), every);
  timer.unref();
  return () => clearInterval(timer);
}
