import { describe, expect, it } from 'vitest';
import { dateRange } from './date-range.ts';

const range = (text: string) => {
  const r = dateRange(text);
  return r && [new Date(r.low).toISOString(), new Date(r.high).toISOString()];
};

describe('dateRange (FHIR R4 search.html#date: a value stands for the range of its precision)', () => {
  it.each([
    ['2024', '2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2023-02-28', '2023-02-28T00:00:00.000Z', '2023-02-28T23:59:59.999Z'],
    ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z', '2024-03-01T10:00:59.999Z'],
    ['2024-03-01T10:00:05+02:00', '2024-03-01T08:00:05.000Z', '2024-03-01T08:00:05.999Z'],
    ['2024-03-01T10:00:05.1Z', '2024-03-01T10:00:05.100Z', '2024-03-01T10:00:05.199Z'],
    ['2024-03-01T10:00:05.123456Z', '2024-03-01T10:00:05.123Z', '2024-03-01T10:00:05.123Z'],
  ])('%s covers [%s, %s]', (text, low, high) => {
    expect(range(text)).toEqual([low, high]);
  });

  it.each(['2023-02-29', '2024-13', '2024-01-01T24:00:00Z', 'yesterday', '2024-1-1', ''])('rejects %s', (text) => {
    expect(dateRange(text)).toBeUndefined();
  });
});
