import { describe, expect, it } from 'vitest';
import { Faults, retryAfterValue } from './faults.ts';

describe('Faults', () => {
  it('applies the first matching fault, filtered by method and path, and consumes its uses', () => {
    const faults = new Faults();
    const posts = faults.add({ method: 'post', path: /\/Patient$/, times: 2, action: { kind: 'status', status: 503 } });
    faults.add({ action: { kind: 'latency', ms: 5 } });
    expect(faults.take('GET', '/fhir/Patient')?.kind).toBe('latency');
    expect(faults.take('POST', '/fhir/Task')?.kind).toBe('latency');
    expect(faults.take('POST', '/fhir/Patient')?.kind).toBe('status');
    expect(faults.take('POST', '/fhir/Patient')?.kind).toBe('status');
    expect(faults.take('POST', '/fhir/Patient')?.kind).toBe('latency');
    expect(posts.applied).toBe(2);
    faults.clear();
    expect(faults.take('GET', '/fhir/Patient')).toBeUndefined();
  });

  it('writes Retry-After as delta-seconds or as an HTTP-date never earlier than asked', () => {
    const now = Date.parse('2026-01-10T10:00:00.400Z');
    expect(retryAfterValue(2, 'seconds', now)).toBe('2');
    expect(retryAfterValue(2, 'http-date', now)).toBe('Sat, 10 Jan 2026 10:00:03 GMT');
  });
});
