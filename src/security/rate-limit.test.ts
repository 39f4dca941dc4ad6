import { expect, test } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

test('a burst is allowed, then requests wait for the refill with a Retry-After in seconds', () => {
  let now = 0;
  const limiter = createRateLimiter({ requestsPerMinute: 60, burst: 3, now: () => now });
  expect([1, 2, 3].map(() => limiter.take('alpha').allowed)).toEqual([true, true, true]);
  const refused = limiter.take('alpha');
  expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
  expect(limiter.take('beta').allowed).toBe(true);
  now += 1000;
  expect(limiter.take('alpha').allowed).toBe(true);
  expect(limiter.take('alpha').allowed).toBe(false);
});
