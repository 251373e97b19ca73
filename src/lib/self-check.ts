import type { Deps } from '../deps.ts';
import { scheduleSelfChecks } from '../domain/diagnostics/current-diagnostics.ts';

/**
 * Starts the probing host's self-checks for a process that runs workers: logs what fails, and
 * with `print` (npm start) writes it to stdout, where an operator looks first.
 */
export function startSelfChecks(
  deps: Pick<Deps, 'verifier' | 'config' | 'logger'>,
  print: boolean,
): () => void {
  return scheduleSelfChecks(
    deps,
    (report, first) => {
      const bad = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
      if (bad.length === 0) return;
      deps.logger.warn(
        { checks: bad },
        'network self-check found problems (GET /admin/diagnostics)',
      );
      if (!print || (!first && report.ok)) return;
      process.stdout.write(
        [
          '',
          `mailsift network self-check: ${bad.length} problem(s) (GET /admin/diagnostics, docs/network.md)`,
          ...bad.map((c) => `  ${c.status.toUpperCase()} ${c.check} ${c.target}: ${c.detail}`),
          '',
        ].join('\n') + '\n',
      );
    },
    (err) => deps.logger.warn({ err }, 'network self-check failed to run'),
  );
}
