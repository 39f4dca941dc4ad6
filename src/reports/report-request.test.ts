import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../fhir/index.ts';
import { parseReportRequest } from './report-request.ts';

const FORMATS = ['json', 'measurereport'] as const;

function problems(params: Record<string, unknown>): string[] {
  try {
    parseReportRequest(params, FORMATS);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return (error.outcome.issue ?? []).map((i) => `${i.expression?.[0]}: ${i.details?.text}`);
    throw error;
  }
  return [];
}

describe('parseReportRequest', () => {
  it('reads dates as whole days, months and years, end exclusive', () => {
    expect(parseReportRequest({ period: '2026-01-01/2026-03-31' }, FORMATS)).toEqual({
      period: { start: '2026-01-01T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z' },
      format: 'json',
    });
    expect(parseReportRequest({ period: '2026-02/2026-02', format: 'measurereport' }, FORMATS).period).toEqual({
      start: '2026-02-01T00:00:00.000Z',
      end: '2026-03-01T00:00:00.000Z',
    });
    expect(parseReportRequest({ period: '2025/2025' }, FORMATS).period.end).toBe('2026-01-01T00:00:00.000Z');
    expect(parseReportRequest({ period: '2026-01-01T08:00:00+02:00/2026-01-01T10:00:00Z' }, FORMATS).period).toEqual({
      start: '2026-01-01T06:00:00.000Z',
      end: '2026-01-01T10:00:01.000Z',
    });
  });

  it('normalises the organization to Organization/id', () => {
    expect(parseReportRequest({ period: '2026-01-01/2026-01-31', organization: 'food-bank' }, FORMATS).organization).toBe('Organization/food-bank');
    expect(parseReportRequest({ period: '2026-01-01/2026-01-31', organization: 'Organization/food-bank' }, FORMATS).organization).toBe('Organization/food-bank');
  });

  it('collects every problem with the parameter as expression', () => {
    expect(problems({ period: '2026-02-30/2026-13', organization: 'Patient/x', format: 'xml', extra: '1' })).toEqual([
      'extra: Unknown parameter (period, organization and format are supported)',
      'period: The start of the period is not a FHIR date or dateTime',
      'period: The end of the period is not a FHIR date or dateTime',
      'organization: The organization must be an Organization id or an Organization/id reference',
      'format: The format must be one of json, measurereport',
    ]);
    expect(problems({})).toEqual(['period: The period is required, as start/end (for example 2026-01-01/2026-03-31)']);
    expect(problems({ period: ['2026-01-01/2026-01-02', '2026-01-01/2026-01-03'] })).toEqual([
      'period: The parameter period may be given once',
      'period: The period is required, as start/end (for example 2026-01-01/2026-03-31)',
    ]);
    expect(problems({ period: '2026-01-02/2026-01-01T00:00:00Z' })).toEqual(['period: The period ends before it starts']);
  });
});
