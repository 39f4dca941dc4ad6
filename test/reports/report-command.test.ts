// `gateway report` against a SQLite store loaded with a generated history: JSON equals the
// computation over the same facts; CSV and table carry the same figures; usage errors exit 2.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReport } from '../../src/cli/report-command.ts';
import { openStore } from '../../src/store/open.ts';
import { computeReferralReport } from '../../src/workflow/report/compute-report.ts';
import { generateReferralHistory, PERIOD } from '../workflow/support/referral-history-generator.ts';
import { type Clock, loadHistory } from './support/load-history.ts';

const generated = generateReferralHistory(300, 5);
const expected = computeReferralReport(generated.input, { period: PERIOD, groupBy: ['organization', 'category'] });
let dir: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runReport(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'report-cli-'));
  const clock: Clock = { now: 0 };
  const store = await openStore({ dataDir: dir, now: () => clock.now });
  await loadHistory(store, clock, generated.input);
  await store.close();
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway report', () => {
  it('prints the report as JSON', async () => {
    const r = await cli('--period', '2026-01-01/2026-03-31', '--data-dir', dir, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(r.err).toMatch(/referrals read in \d+ ms, computed in \d+ ms/);
  });

  it('prints CSV rows with the same figures', async () => {
    const r = await cli('--period', '2026-01-01/2026-03-31', '--data-dir', dir, '--format', 'csv');
    expect(r.code).toBe(0);
    const lines = r.out.split('\r\n');
    expect(lines[0]).toBe('group,key,figure,value');
    expect(lines).toContain(`overall,,funnel.sent,${expected.overall.funnel.sent}`);
    expect(lines).toContain(`overall,,goals.stepsRecorded,${expected.overall.goals.stepsRecorded}`);
    const org = expected.byOrganization?.[0];
    expect(lines).toContain(`organization,${org?.key},funnel.completed,${org?.figures.funnel.completed}`);
    expect(lines).toContain(`sync,,pendingSyncFailures,${generated.input.pendingSyncFailures}`);
  });

  it('prints a table by default, narrowed to one organisation on request', async () => {
    const org = expected.byOrganization?.[0];
    const r = await cli('--period', '2026-01-01/2026-03-31', '--data-dir', dir, '--organization', org?.key ?? '');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    // Columns: figure, overall, the one organisation, then the need categories within it.
    expect(lines[1].split(/\s+/).slice(0, 3)).toEqual(['figure', 'overall', org?.key]);
    const sentRow = lines.find((l) => l.startsWith('funnel.sent '));
    const sent = sentRow?.split(/\s+/).slice(1).map(Number) ?? [];
    expect(sent.slice(0, 2)).toEqual([org?.figures.funnel.sent, org?.figures.funnel.sent]);
    expect(sent.slice(2).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(org?.figures.funnel.sent ?? 0);
  });

  it('rebuilds the report projection of data written before it existed', async () => {
    // Empty the projection, as in a database written before migration 003.
    const db = new DatabaseSync(path.join(dir, 'gateway.sqlite'));
    for (const table of ['report_tasks', 'report_service_requests', 'report_procedures', 'report_care_plans', 'report_goals']) db.exec(`DELETE FROM ${table}`);
    db.close();
    const empty = await cli('--period', '2026-01-01/2026-03-31', '--data-dir', dir, '--format', 'json');
    expect(JSON.parse(empty.out).overall.funnel.sent).toBe(0);
    const only = await cli('--rebuild-projection', '--data-dir', dir);
    expect(only.code).toBe(0);
    expect(only.out).toBe('');
    expect(only.err).toMatch(/projection rebuilt from \d+ resource versions/);
    const r = await cli('--period', '2026-01-01/2026-03-31', '--data-dir', dir, '--format', 'json', '--rebuild-projection');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('exits 2 on usage errors, naming each problem', async () => {
    const missing = await cli('--data-dir', dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--period');
    const bad = await cli('--period', '2026-02-30/x', '--organization', 'a b', '--data-dir', dir);
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n').filter((l) => l.startsWith('gateway report: --period')).length).toBe(2);
    expect(bad.err).toContain('--organization');
    expect((await cli('--period', '2026-01-01/2026-03-31', '--format', 'pdf')).code).toBe(2);
  });
});
