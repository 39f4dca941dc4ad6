// When to try an EHR call again and how long to wait first. Pure functions.

/**
 * `idempotent`: repeating the request cannot change the outcome (GET, PUT with If-Match,
 * POST with If-None-Exist), so timeouts and 5xx are retried. `unsafe`: a plain create or a
 * transaction may already have been applied, so only answers that say it was not
 * (429, 503) are retried.
 */
export type RetryMode = 'idempotent' | 'unsafe';

export function isRetryableStatus(status: number, mode: RetryMode): boolean {
  if (status === 429 || status === 503) {
    return true;
  }
  return mode === 'idempotent' && (status === 408 || status === 500 || status === 502 || status === 504);
}

/**
 * Exponential backoff with jitter ("equal jitter": half of the step fixed, half random), so
 * replicas that failed together do not retry together. `failures` counts from 1.
 */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return step / 2 + (random() * step) / 2;
}

/**
 * RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date. A date is measured
 * against the server's own Date header when there is one, so a skewed local clock neither
 * shortens nor stretches the wait; otherwise against the local clock.
 * Returns undefined when the header is absent or unreadable.
 */
export function retryAfterMs(header: string | null, nowMs: number, serverDate?: string | null): number | undefined {
  const value = header?.trim();
  if (!value) {
    return undefined;
  }
  if (/^\d+$/.test(value)) {
    return Number.parseInt(value, 10) * 1000;
  }
  // All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with the day name.
  const at = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) {
    return undefined;
  }
  const serverNow = serverDate ? Date.parse(serverDate) : Number.NaN;
  const reference = Number.isNaN(serverNow) ? nowMs : serverNow;
  return Math.max(0, at - reference);
}
