// The referral report as FHIR R4 MeasureReports (summary) and the Measure definitions they
// reference: valid against the R4 base, consistent with each other and with the report.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeSystem, Measure, MeasureReport, MeasureReportGroup } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeReferralReport } from '../../src/workflow/report/compute-report.ts';
import { toMeasureReports } from '../../src/workflow/report/measure-reports.ts';
import type { ReferralReport } from '../../src/workflow/report/report-types.ts';
import { packagesDir } from '../support/packages-dir.ts';
import { PERIOD, generateReferralHistory } from './support/referral-history-generator.ts';
import { type ProfileValidator, profileValidator } from './support/profile-validator.ts';

const measuresDir = path.resolve(fileURLToPath(new URL('../../src/workflow/measures', import.meta.url)));
const files = readdirSync(measuresDir).filter((f) => f.endsWith('.json'));
const measures = files.filter((f) => f.startsWith('Measure-')).map((f) => JSON.parse(readFileSync(path.join(measuresDir, f), 'utf8')) as Measure);
const codeSystem = JSON.parse(readFileSync(path.join(measuresDir, 'CodeSystem-referral-report-figure.json'), 'utf8')) as CodeSystem;

const code = (g: { code?: { coding?: { code?: string }[] } }) => g.code?.coding?.[0]?.code;
const count = (g: MeasureReportGroup, population: string) => g.population?.find((p) => p.code?.coding?.[0]?.code === population)?.count;

describe('referral report as MeasureReports', () => {
  let report: ReferralReport;
  let reports: MeasureReport[];
  let validator: ProfileValidator | undefined;

  beforeAll(async () => {
    validator = await profileValidator();
    report = computeReferralReport(generateReferralHistory(1000, 11).input, { period: PERIOD, groupBy: ['organization', 'category'] });
    reports = toMeasureReports(report, { reporter: { reference: 'Organization/gateway' }, date: '2026-04-01T06:00:00Z' });
  });

  const byMeasure = (id: string) => reports.find((r) => r.measure.endsWith(`/Measure/${id}`)) as MeasureReport;
  const groupOf = (id: string, figure: string) => (byMeasure(id).group ?? []).find((g) => code(g) === figure) as MeasureReportGroup;

  it('produces one summary MeasureReport per shipped Measure, with stable ids', () => {
    expect(reports.map((r) => r.measure).sort()).toEqual(measures.map((m) => m.url).sort());
    expect(reports.every((r) => r.type === 'summary' && r.status === 'complete')).toBe(true);
    expect(toMeasureReports(report).map((r) => r.id)).toEqual(reports.map((r) => r.id));
    expect(new Set(reports.map((r) => r.id)).size).toBe(reports.length);
  });

  it.skipIf(packagesDir() === undefined)('validates MeasureReports, Measures and the CodeSystem against the R4 base', () => {
    for (const r of [...reports, ...measures, codeSystem]) {
      expect(validator?.errors(r), `${r.resourceType}/${r.id}`).toEqual([]);
    }
  });

  it('the validator used here does catch an invalid MeasureReport', () => {
    const broken = { ...reports[0], status: 'finished' } as unknown as MeasureReport;
    expect(validator?.errors(broken).length ?? 1).toBeGreaterThan(0);
  });

  it('uses exactly the groups and stratifiers each Measure declares, with codes of the CodeSystem', () => {
    const known = new Set((codeSystem.concept ?? []).map((c) => c.code));
    for (const mr of reports) {
      const measure = measures.find((m) => m.url === mr.measure) as Measure;
      expect((mr.group ?? []).map(code)).toEqual((measure.group ?? []).map(code));
      (mr.group ?? []).forEach((g, i) => {
        expect(known.has(code(g) ?? '')).toBe(true);
        const declared = (measure.group?.[i].stratifier ?? []).map(code);
        expect((g.stratifier ?? []).map((s) => s.code?.[0]?.coding?.[0]?.code)).toEqual(declared);
        const declaredPopulations = (measure.group?.[i].population ?? []).map(code);
        expect((g.population ?? []).map(code)).toEqual(declaredPopulations);
      });
    }
  });

  it('carries the report figures: counts, rates, durations, strata and rejection reasons', () => {
    const f = report.overall;
    expect(count(groupOf('referral-funnel', 'sent'), 'initial-population')).toBe(f.funnel.sent);
    expect(count(groupOf('referral-funnel', 'in-progress'), 'initial-population')).toBe(f.funnel.inProgress);
    const rate = groupOf('closed-loop-rate', 'closed-loop-rate');
    expect([count(rate, 'denominator'), count(rate, 'numerator')]).toEqual([f.funnel.sent, f.funnel.closedLoop]);
    expect(rate.measureScore?.value).toBe(f.funnel.closedLoopRate);
    expect(groupOf('referral-timeliness', 'time-to-completion-p90').measureScore).toEqual({ value: f.timeliness.toCompletion.p90Hours, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' });
    expect(count(groupOf('goal-activity', 'goal-steps-recorded'), 'initial-population')).toBe(f.goals.stepsRecorded);
    expect(count(groupOf('referral-data-quality', 'sync-failures-pending'), 'initial-population')).toBe(report.pendingSyncFailures);

    const sent = groupOf('referral-funnel', 'sent');
    const orgStrata = sent.stratifier?.[0].stratum ?? [];
    expect(orgStrata.map((s) => s.value?.text)).toEqual(report.byOrganization?.map((o) => o.key));
    expect(orgStrata.map((s) => s.population?.[0].count)).toEqual(report.byOrganization?.map((o) => o.figures.funnel.sent));
    const catStrata = sent.stratifier?.[1].stratum ?? [];
    expect(catStrata.map((s) => s.value?.coding?.[0]?.code ?? s.value?.text)).toEqual(report.byCategory?.map((c) => c.key));

    const reasons = groupOf('referral-funnel', 'rejected').stratifier?.[2];
    expect(Object.fromEntries((reasons?.stratum ?? []).map((s) => [s.value?.text, s.population?.[0].count]))).toEqual(f.funnel.rejectedByReason);
  });

  it('leaves out scores that are undefined (no referrals) rather than inventing zeros', () => {
    const empty = computeReferralReport({ referrals: [], procedures: [], carePlans: [], pendingSyncFailures: 0 }, { period: PERIOD, groupBy: [] });
    const rs = toMeasureReports(empty);
    const rate = (rs.find((r) => r.measure.endsWith('closed-loop-rate'))?.group ?? [])[0];
    expect(rate.measureScore).toBeUndefined();
    expect(count(rate, 'denominator')).toBe(0);
    expect(rs.every((r) => (r.group ?? []).every((g) => g.stratifier === undefined))).toBe(true);
    for (const r of rs) {
      expect(validator?.errors(r) ?? []).toEqual([]);
    }
  });
});
