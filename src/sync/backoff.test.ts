import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const policy = { baseMs: 100, maxMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles per attempt between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, 0)).toBe(50);
    expect(backoffDelay(1, policy, 0.999)).toBeCloseTo(100, -1);
    expect(backoffDelay(3, policy, 0)).toBe(200);
    expect(backoffDelay(3, policy, 0.5)).toBe(300);
  });

  it('never exceeds the maximum, even after many attempts', () => {
    expect(backoffDelay(50, policy, 0.999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(50, policy, 0)).toBe(500);
  });
});
