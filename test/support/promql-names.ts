/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers,
 * range and subquery brackets, grouping clauses, function calls, keywords and numbers are taken
 * out. Enough for the dashboard and rules of docs/ (checked against a real /metrics), not a
 * PromQL parser: an expression it cannot read fails the check rather than passing it.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

export function promqlMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries, Grafana's $__rate_interval included
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' '); // dashboard variables outside matchers
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    if (m[1]) continue; // a function call
    const word = m[0];
    if (KEYWORDS.has(word.toLowerCase())) continue;
    // Exponents and durations glued to numbers (1e3, 5m) are not names.
    const at = m.index ?? 0;
    if (at > 0 && /[0-9.]/.test(bare[at - 1]!)) continue;
    names.add(word);
  }
  return [...names];
}
