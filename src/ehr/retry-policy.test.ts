import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryableStatus, retryAfterMs } from './retry-policy.ts';

describe('retryAfterMs (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-01-10T10:00:00.000Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date against the local clock', () => {
    expect(retryAfterMs('Sat, 10 Jan 2026 10:00:05 GMT', now)).toBe(5000);
  });

  it('reads an HTTP-date against the server Date header when present, so local skew does not matter', () => {
    const skewedLocal = now + 5 * 60 * 1000;
    expect(retryAfterMs('Sat, 10 Jan 2026 10:00:05 GMT', skewedLocal, 'Sat, 10 Jan 2026 10:00:00 GMT')).toBe(5000);
  });

  it('never returns a negative wait and ignores unreadable values', () => {
    expect(retryAfterMs('Sat, 10 Jan 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('-3', now)).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  it('doubles per failure, keeps half of the step fixed and caps at the maximum', () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelayMs(4, 100, 10_000, () => 0.5)).toBe(600);
    expect(backoffDelayMs(20, 100, 10_000, () => 1)).toBe(10_000);
  });
});

describe('isRetryableStatus', () => {
  it('retries 429 and 503 always, other 5xx only for idempotent calls, 4xx never', () => {
    expect([429, 503].map((s) => isRetryableStatus(s, 'unsafe'))).toEqual([true, true]);
    expect([500, 502, 504].map((s) => isRetryableStatus(s, 'unsafe'))).toEqual([false, false, false]);
    expect([500, 502, 504].map((s) => isRetryableStatus(s, 'idempotent'))).toEqual([true, true, true]);
    expect([400, 401, 404, 409, 412, 422].some((s) => isRetryableStatus(s, 'idempotent'))).toBe(false);
  });
});
