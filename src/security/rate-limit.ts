// Per-partner token buckets (held per process: each replica enforces the limit on its own
// share of traffic; see docs/security.md). Pure apart from the clock passed in.
export interface RateDecision {
  allowed: boolean;
  /** Seconds until one request's worth of tokens is back (RFC 9110 section 10.2.3 Retry-After). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string): RateDecision;
}

export function createRateLimiter(options: { requestsPerMinute: number; burst: number; now?: () => number; maxKeys?: number }): RateLimiter {
  const now = options.now ?? Date.now;
  const perMs = options.requestsPerMinute / 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) {
          buckets.delete(buckets.keys().next().value as string);
        }
        bucket = { tokens: options.burst, at: t };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(options.burst, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, retryAfterSeconds: 0 };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}
