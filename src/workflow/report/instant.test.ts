import { describe, expect, it } from 'vitest';
import { instantMs } from './instant.ts';

describe('instantMs', () => {
  it('agrees with Date.parse on the layouts it handles fast', () => {
    const samples = [
      '1970-01-01', '2026-02-28', '2024-02-29', '2000-03-01', '1899-12-31',
      '2026-03-02T09:00:00Z', '2026-03-02T09:00:00.123Z', '2026-12-31T23:59:59.999Z',
      '2026-03-02T09:00:00+02:00', '2026-03-02T09:00:00.5-05:30', '2026-03-02T01:00:00.250-11:00', '2020-01-01T00:00:00.000+14:00',
    ];
    for (const s of samples) {
      expect(instantMs(s), s).toBe(Date.parse(s));
    }
  });

  it('agrees with Date.parse on many generated instants', () => {
    for (let t = Date.UTC(1990, 0, 1); t < Date.UTC(2040, 0, 1); t += 7_919_993_117) {
      const s = new Date(t).toISOString();
      expect(instantMs(s)).toBe(t);
      expect(instantMs(s.slice(0, 19) + 'Z')).toBe(Date.parse(s.slice(0, 19) + 'Z'));
    }
  });

  it('falls back to Date.parse for other forms', () => {
    expect(instantMs('2026-03')).toBe(Date.parse('2026-03'));
    expect(Number.isNaN(instantMs('not a date'))).toBe(true);
  });
});
