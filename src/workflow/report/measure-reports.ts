// The referral report as FHIR R4 MeasureReports of type summary (measurereport.html): one
// per Measure of src/workflow/measures/, overall figures in group.population /
// group.measureScore, per-organisation and per-need-category figures as strata
// (group.stratifier.stratum), rejection reasons as a stratifier of the `rejected` group.
import type {
  CodeableConcept,
  MeasureReport,
  MeasureReportGroup,
  MeasureReportGroupPopulation,
  MeasureReportGroupStratifier,
  Organization,
  Reference,
} from '@medplum/fhirtypes';
import { deterministicId } from '../references.ts';
import { TEMPORARY_CODES } from '../sdohcc.ts';
import { UNASSIGNED, UNSPECIFIED } from './compute-report.ts';
import { FIGURE_SYSTEM, type GroupSpec, MEASURES, MEASURE_POPULATION, PENDING_SYNC_FAILURES, STRATIFIER, measureUrl } from './measure-definitions.ts';
import type { GroupFigures, ReferralReport } from './report-types.ts';

export interface MeasureReportOptions {
  /** MeasureReport.reporter: the gateway's organisation. */
  reporter?: Reference<Organization>;
  /** MeasureReport.date (when the report was produced); left out when not given. */
  date?: string;
}

function figureCode(code: string): CodeableConcept {
  return { coding: [{ system: FIGURE_SYSTEM, code }] };
}

function populations(spec: GroupSpec, figures: GroupFigures): MeasureReportGroupPopulation[] {
  return spec.populations(figures).map(([code, count]) => ({ code: { coding: [{ system: MEASURE_POPULATION, code }] }, count }));
}

function categoryValue(key: string): CodeableConcept {
  return key === UNSPECIFIED ? { text: key } : { coding: [{ system: TEMPORARY_CODES, code: key }] };
}

function organizationValue(key: string): CodeableConcept {
  return { text: key === UNASSIGNED ? UNASSIGNED : key };
}

// FHIR R4 json.html: arrays are never empty, so an empty grouping gives no stratifier.
function stratifier(
  code: string,
  rows: { key: string; figures: GroupFigures }[] | undefined,
  spec: GroupSpec,
  value: (key: string) => CodeableConcept,
): MeasureReportGroupStratifier[] {
  if (!rows || rows.length === 0) {
    return [];
  }
  return [
    {
      code: [figureCode(code)],
      stratum: rows.map(({ key, figures }) => {
        const score = spec.score?.(figures);
        return { value: value(key), population: populations(spec, figures), ...(score ? { measureScore: score } : {}) };
      }),
    },
  ];
}

function group(spec: GroupSpec, report: ReferralReport): MeasureReportGroup {
  if (spec.code === PENDING_SYNC_FAILURES) {
    return {
      code: figureCode(spec.code),
      population: [{ code: { coding: [{ system: MEASURE_POPULATION, code: 'initial-population' }] }, count: report.pendingSyncFailures }],
    };
  }
  const out: MeasureReportGroup = { code: figureCode(spec.code), population: populations(spec, report.overall) };
  const score = spec.score?.(report.overall);
  if (score) {
    out.measureScore = score;
  }
  const strata = [
    ...stratifier(STRATIFIER.organization, report.byOrganization, spec, organizationValue),
    ...stratifier(STRATIFIER.category, report.byCategory, spec, categoryValue),
  ];
  const reasons = spec.code === 'rejected' ? Object.keys(report.overall.funnel.rejectedByReason).sort() : [];
  if (reasons.length > 0) {
    strata.push({
      code: [figureCode(STRATIFIER.rejectionReason)],
      stratum: reasons.map((reason) => ({
        value: { text: reason },
        population: [{ code: { coding: [{ system: MEASURE_POPULATION, code: 'initial-population' }] }, count: report.overall.funnel.rejectedByReason[reason] }],
      })),
    });
  }
  if (strata.length > 0) {
    out.stratifier = strata;
  }
  return out;
}

export function toMeasureReports(report: ReferralReport, options: MeasureReportOptions = {}): MeasureReport[] {
  return MEASURES.map((measure) => {
    const url = measureUrl(measure.id);
    const mr: MeasureReport = {
      resourceType: 'MeasureReport',
      id: deterministicId('mr', url, report.period.start, report.period.end),
      status: 'complete',
      type: 'summary',
      measure: url,
      period: { start: report.period.start, end: report.period.end },
      group: measure.groups.map((g) => group(g, report)),
    };
    if (options.date) mr.date = options.date;
    if (options.reporter) mr.reporter = options.reporter;
    return mr;
  });
}
