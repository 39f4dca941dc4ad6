// Delay before the next delivery attempt of an outbox item: exponential backoff with "equal
// jitter" (half fixed, half random), so that many items failing together (an EHR outage)
// do not come back in one wave (RELIABILITY.md, outbox).

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay after `attempts` failed attempts (1 = the first failure); `random` in [0, 1). */
export function backoffDelay(attempts: number, policy: BackoffPolicy, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
