import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// docs/prometheus/: the alert rules of docs/operations.md and their promtool unit tests.
// (Their metric names are checked against a real /metrics in
// test/integration/ops/service-metrics.test.ts.)
const RULES = 'docs/prometheus/mailsift-alerts.yml';
const RULE_TESTS = 'docs/prometheus/mailsift-alerts.test.yml';
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

interface Rule {
  alert?: string;
  record?: string;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

describe('the Prometheus alert rules', () => {
  it('when the rules file is read as YAML, then it has the shape Prometheus loads: groups of named alerts with an expression, a severity and a summary', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as {
      groups?: { name?: unknown; rules?: Rule[] }[];
    };
    expect(Array.isArray(doc.groups) && doc.groups.length > 0).toBe(true);
    const names: string[] = [];
    for (const group of doc.groups!) {
      expect(typeof group.name).toBe('string');
      expect(Array.isArray(group.rules) && group.rules.length > 0).toBe(true);
      for (const rule of group.rules!) {
        expect(
          Object.keys(rule).every((k) =>
            ['alert', 'expr', 'for', 'labels', 'annotations', 'keep_firing_for'].includes(k),
          ),
        ).toBe(true);
        expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
        expect(typeof rule.expr === 'string' && rule.expr.trim().length > 0).toBe(true);
        if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smhd]$/);
        expect(['warning', 'critical']).toContain(rule.labels?.severity);
        expect(typeof rule.annotations?.summary).toBe('string');
        names.push(rule.alert!);
      }
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it.runIf(hasPromtool)(
    'when promtool checks the rules and runs their unit tests, then both pass (the queue age, webhook and blocked-probe alerts fire on the series they are meant for)',
    () => {
      const check = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(check).toMatch(/SUCCESS: \d+ rules found/);
      const run = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
      expect(run.status).toBe(0);
    },
  );
});
