import { describe, expect, test } from 'vitest';
import { OperationOutcomeError } from '../fhir/index.ts';
import { loadSearchParameters } from './definitions.ts';
import { parseSearch } from './parse.ts';

const registry = loadSearchParameters();
const base = 'https://gw.example.org/';
const parse = (query: string, strict = false) => parseSearch('Task', new URLSearchParams(query), registry, { strict, baseUrl: base });

function rejection(query: string, strict = false): string {
  try {
    parse(query, strict);
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error.outcome.issue.map((i) => i.details?.text).join('; ');
    }
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('token values (search.html#token)', () => {
  test.each([
    ['code=fulfill', { kind: 'token', code: 'fulfill' }],
    ['code=http://hl7.org/fhir/CodeSystem/task-code|fulfill', { kind: 'token', system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }],
    ['code=|fulfill', { kind: 'token', system: '', code: 'fulfill' }],
    ['code=http://hl7.org/fhir/CodeSystem/task-code|', { kind: 'token', system: 'http://hl7.org/fhir/CodeSystem/task-code', code: undefined }],
  ])('%s', (query, value) => {
    expect(parse(query).filters[0].values[0]).toEqual(value);
  });

  test(':not and OR lists', () => {
    const [filter] = parse('status:not=completed,cancelled').filters;
    expect(filter.modifier).toBe('not');
    expect(filter.values.map((v) => (v.kind === 'token' ? v.code : ''))).toEqual(['completed', 'cancelled']);
  });

  test('escaped commas stay in the value', () => {
    expect(parse('code=a\\,b').filters[0].values).toEqual([{ kind: 'token', code: 'a,b' }]);
  });
});

describe('reference values (search.html#reference)', () => {
  test.each([
    ['owner=Organization/food-bank', { kind: 'reference', type: 'Organization', id: 'food-bank' }],
    ['owner=food-bank', { kind: 'reference', type: undefined, id: 'food-bank' }],
    ['owner:Organization=food-bank', { kind: 'reference', type: 'Organization', id: 'food-bank' }],
    ['owner=https://gw.example.org/Organization/food-bank', { kind: 'reference', type: 'Organization', id: 'food-bank' }],
    ['owner=https://ehr.example.org/fhir/Organization/x', { kind: 'reference', url: 'https://ehr.example.org/fhir/Organization/x' }],
  ])('%s', (query, value) => {
    expect(parse(query).filters[0].values[0]).toEqual(value);
  });

  test(':missing', () => {
    expect(parse('owner:missing=true').filters[0]).toEqual({ code: 'owner', modifier: 'missing', missing: true, values: [] });
    expect(rejection('owner:missing=maybe')).toContain("'owner:missing' with :missing must be true or false");
  });
});

describe('date values (search.html#date)', () => {
  test('prefix and precision', () => {
    const [value] = parse('_lastUpdated=ge2026-11').filters[0].values;
    expect(value).toEqual({ kind: 'date', prefix: 'ge', low: Date.UTC(2026, 10, 1), high: Date.UTC(2026, 11, 1) - 1, text: '2026-11' });
  });

  test.each(['authored-on=2023-02-29', 'authored-on=ge2026-11-20T24:00:00Z', '_lastUpdated=soon'])('%s is rejected', (query) => {
    expect(rejection(query)).toContain('not a valid FHIR date');
  });
});

describe('result parameters', () => {
  test('_count, _sort, _include, _revinclude, _total, _summary', () => {
    const parsed = parse('_count=5&_sort=-_lastUpdated,status&_include=Task:focus&_revinclude=Provenance:target&_total=accurate');
    expect(parsed.count).toBe(5);
    expect(parsed.sort).toEqual([{ code: '_lastUpdated', descending: true }, { code: 'status', descending: false }]);
    expect(parsed.include).toEqual([{ sourceType: 'Task', param: 'focus', targetType: undefined, iterate: false }]);
    expect(parsed.revinclude[0]).toMatchObject({ sourceType: 'Provenance', param: 'target' });
    expect(parsed.total).toBe('accurate');
    expect(parse('_summary=count').summaryCount).toBe(true);
  });

  test('_count is capped', () => {
    expect(parse('_count=100000').count).toBe(1000);
  });

  test.each([
    ['_count=-1', "'_count' must be a non-negative integer"],
    ['_sort=colour', "'_sort' names 'colour'"],
    ['_include=Task:status', "'Task:status', which is not a reference search parameter"],
  ])('%s is a 400 naming the parameter', (query, text) => {
    expect(rejection(query)).toContain(text);
  });
});

describe('unknown parameters (search.html#errors)', () => {
  test('lenient: ignored with a warning', () => {
    const parsed = parse('colour=blue&status=requested');
    expect(parsed.filters).toHaveLength(1);
    expect(parsed.warnings[0].severity).toBe('warning');
    expect(parsed.warnings[0].details?.text).toContain("'colour' is not known for Task");
  });

  test('strict: 400', () => {
    expect(rejection('colour=blue', true)).toContain("'colour' is not known for Task");
  });

  test('chained parameters are reported as unsupported', () => {
    expect(parse('patient.name=x').warnings[0].details?.text).toContain('chaining');
  });
});
