// Median and 90th percentile of durations (issue 9, "timeliness").
// Median: the middle value, or the mean of the two middle values for an even count.
// 90th percentile: nearest-rank method, the value at rank ceil(9n / 10) of the sorted list
// (always an observed duration).
import type { DurationStats } from './report-types.ts';

export const MS_PER_HOUR = 3_600_000;

export function durationStats(durationsMs: readonly number[]): DurationStats {
  const n = durationsMs.length;
  if (n === 0) {
    return { count: 0, medianHours: null, p90Hours: null };
  }
  const sorted = Float64Array.from(durationsMs).sort();
  const mid = n >> 1;
  const medianMs = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const p90Ms = sorted[Math.ceil((9 * n) / 10) - 1];
  return { count: n, medianHours: medianMs / MS_PER_HOUR, p90Hours: p90Ms / MS_PER_HOUR };
}
