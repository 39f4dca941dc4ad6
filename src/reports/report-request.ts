// What a report request asks for, parsed from query parameters (HTTP) or options (CLI) with
// every problem collected before failing (one OperationOutcome, 400).
// The period is `start/end` (ISO 8601 interval with two FHIR dates or dateTimes, datatypes.html#dateTime);
// a date covers its whole day/month/year, so `2026-01-01/2026-03-31` is [2026-01-01, 2026-04-01).
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError, issue, outcome } from '../fhir/index.ts';
import { dateRange } from '../store/search/date-range.ts';

export interface ReportPeriod {
  /** Inclusive start, ISO instant. */
  start: string;
  /** Exclusive end, ISO instant. */
  end: string;
}

export interface ReportRequest<F extends string> {
  period: ReportPeriod;
  /** `Organization/id`: only referrals owned by it and its care plans. */
  organization?: string;
  format: F;
}

const ORGANIZATION = /^(?:Organization\/)?([A-Za-z0-9\-.]{1,64})$/;

/** `start/end` as a half-open interval of instants; issues go to `issues` with `expression`. */
export function parsePeriod(text: string | undefined, expression: string, issues: OperationOutcomeIssue[]): ReportPeriod | undefined {
  if (text === undefined || text === '') {
    issues.push(issue('error', 'required', 'The period is required, as start/end (for example 2026-01-01/2026-03-31)', expression));
    return undefined;
  }
  const parts = text.split('/');
  if (parts.length !== 2) {
    issues.push(issue('error', 'invalid', 'The period must be two dates separated by one slash (start/end)', expression));
    return undefined;
  }
  const start = dateRange(parts[0]);
  const end = dateRange(parts[1]);
  if (!start) issues.push(issue('error', 'invalid', 'The start of the period is not a FHIR date or dateTime', expression));
  if (!end) issues.push(issue('error', 'invalid', 'The end of the period is not a FHIR date or dateTime', expression));
  if (!start || !end) return undefined;
  // A date end covers its whole day (month, year); a dateTime with seconds ends at that second.
  const endExclusive = end.high + 1;
  if (endExclusive <= start.low) {
    issues.push(issue('error', 'invalid', 'The period ends before it starts', expression));
    return undefined;
  }
  return { start: new Date(start.low).toISOString(), end: new Date(endExclusive).toISOString() };
}

/** `Organization/id` or a bare id, as `Organization/id`. */
export function parseOrganization(text: string | undefined, expression: string, issues: OperationOutcomeIssue[]): string | undefined {
  if (text === undefined || text === '') return undefined;
  const m = ORGANIZATION.exec(text);
  if (!m) {
    issues.push(issue('error', 'invalid', 'The organization must be an Organization id or an Organization/id reference', expression));
    return undefined;
  }
  return `Organization/${m[1]}`;
}

function single(value: unknown, name: string, issues: OperationOutcomeIssue[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  issues.push(issue('error', 'invalid', `The parameter ${name} may be given once`, name));
  return undefined;
}

/**
 * Reads `period`, `organization` and `format` (one of `formats`, the first being the default)
 * from query-like parameters; any other parameter is an error (search.html#errors: a server
 * that cannot honour a parameter says so).
 */
export function parseReportRequest<F extends string>(params: Record<string, unknown>, formats: readonly [F, ...F[]]): ReportRequest<F> {
  const issues: OperationOutcomeIssue[] = [];
  for (const key of Object.keys(params)) {
    if (key !== 'period' && key !== 'organization' && key !== 'format') {
      issues.push(issue('error', 'not-supported', 'Unknown parameter (period, organization and format are supported)', key.length <= 40 && /^[A-Za-z_][\w-]*$/.test(key) ? key : undefined));
    }
  }
  const period = parsePeriod(single(params.period, 'period', issues), 'period', issues);
  const organization = parseOrganization(single(params.organization, 'organization', issues), 'organization', issues);
  const formatText = single(params.format, 'format', issues);
  let format: F = formats[0];
  if (formatText !== undefined) {
    const found = formats.find((f) => f === formatText);
    if (found === undefined) issues.push(issue('error', 'invalid', `The format must be one of ${formats.join(', ')}`, 'format'));
    else format = found;
  }
  if (issues.length > 0 || !period) {
    throw new OperationOutcomeError(outcome('bad-request', issues));
  }
  return organization === undefined ? { period, format } : { period, organization, format };
}
