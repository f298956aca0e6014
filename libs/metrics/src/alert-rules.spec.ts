import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Metrics } from './metrics';

const MONITORING = join(__dirname, '..', '..', '..', 'deploy', 'monitoring');
const RULES = join(MONITORING, 'prometheus', 'alerts.yml');
const DASHBOARD = join(MONITORING, 'grafana', 'dashboards', 'feedback-router.json');

/** Series names an expression reads: ours (fr_) and the process metrics; PromQL words and `up` are not metrics of ours. */
function namesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:fr|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]);
}

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('alert rules and dashboard', () => {
  let exported: Set<string>;

  beforeAll(async () => {
    const metrics = new Metrics();
    exported = new Set<string>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      exported.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m.name + s);
      if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) exported.add(m.name + s);
    }
  });

  it('parse, and every rule has a severity, a summary and an expression over metrics the engine exports', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['QueueStuck', 'BreachNoticeLagOver1s', 'AuditSealingBehind', 'DeliveriesFailing', 'CalendarEndingSoon']),
    );
    const unknown: string[] = [];
    for (const r of rules) {
      expect(r.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary).toBeTruthy();
      const names = namesIn(r.expr);
      if (r.alert !== 'EngineTargetDown') expect(names.length).toBeGreaterThan(0);
      unknown.push(...names.filter((n) => !exported.has(n)).map((n) => `${r.alert}: ${n}`));
    }
    expect(unknown).toEqual([]);
  });

  it("the dashboard's panels read only metrics the engine exports", () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap(({ panel, expr }) =>
      namesIn(expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  // Debian's `prometheus` package has it; where it is missing the checks above still run.
  (hasPromtool() ? it : it.skip)('pass promtool check rules and check config', () => {
    execFileSync('promtool', ['check', 'rules', RULES], { stdio: 'pipe' });
    const dir = mkdtempSync(join(tmpdir(), 'fr-prometheus-'));
    try {
      // The token file is a secret of the deployment: a stand-in lets promtool check the rest.
      writeFileSync(join(dir, 'token'), 'stand-in');
      writeFileSync(join(dir, 'alerts.yml'), readFileSync(RULES));
      const config = readFileSync(join(MONITORING, 'prometheus', 'prometheus.yml'), 'utf8').replace('/run/secrets/fr_metrics_token', join(dir, 'token'));
      writeFileSync(join(dir, 'prometheus.yml'), config);
      execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
