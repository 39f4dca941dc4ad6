// Fault injection for the reference EHR: the failures real EHR servers show in production
// (slow answers, 5xx, throttling, writes committed before the connection dies, version
// conflicts, hostile bodies, redirects and foreign paging links, skewed clocks).
// A fault is matched against each incoming request; the first match is applied and
// consumed (`times`, default unlimited).

export type RetryAfterFormat = 'seconds' | 'http-date';

export type FaultAction =
  /** Wait, then answer normally. */
  | { kind: 'latency'; ms: number }
  /** Answer with a status (e.g. 503) without touching the repository. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429 (or 503) with Retry-After, as delta-seconds or as an HTTP-date (RFC 9110 §10.2.3). */
  | { kind: 'retry-after'; status?: 429 | 503; seconds: number; format: RetryAfterFormat }
  /** Let the router commit the write, then never answer (`delayMs` absent) or answer late. */
  | { kind: 'commit-then-hang'; delayMs?: number }
  /** A version conflict as servers report it: 409 or 412, without touching the repository. */
  | { kind: 'conflict'; status: 409 | 412 }
  /** A 200 whose body is `bytes` long, streamed in chunks. */
  | { kind: 'huge-body'; bytes: number }
  /** A 200 with an HTML page instead of FHIR JSON (a login page, a proxy error page). */
  | { kind: 'html' }
  /** A redirect to `location` (usually another origin). */
  | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308; location: string }
  /** Answer the search normally but point `next` at `origin` instead of this server. */
  | { kind: 'foreign-next'; origin: string }
  /** Answer normally with the Date header and Bundle.meta.lastUpdated shifted by `ms`. */
  | { kind: 'clock-skew'; ms: number };

export interface FaultSpec {
  method?: string;
  /** Tested against the request's path and query, e.g. `/fhir/Patient?identifier=...`. */
  path?: RegExp;
  /** How many matching requests the fault applies to; unlimited when absent. */
  times?: number;
  action: FaultAction;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
  applied: number;
}

export interface FaultHandle {
  /** How many requests this fault has been applied to. */
  readonly applied: number;
}

export class Faults {
  readonly #active: ActiveFault[] = [];

  add(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, remaining: spec.times ?? Number.POSITIVE_INFINITY, applied: 0 };
    this.#active.push(fault);
    return {
      get applied() {
        return fault.applied;
      },
    };
  }

  clear(): void {
    this.#active.length = 0;
  }

  /** The action for this request, consuming one use of the first matching fault. */
  take(method: string, pathAndQuery: string): FaultAction | undefined {
    const index = this.#active.findIndex((f) => matches(f.spec, method, pathAndQuery));
    if (index < 0) {
      return undefined;
    }
    const fault = this.#active[index];
    fault.remaining -= 1;
    fault.applied += 1;
    if (fault.remaining <= 0) {
      this.#active.splice(index, 1);
    }
    return fault.spec.action;
  }
}

function matches(spec: FaultSpec, method: string, pathAndQuery: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) {
    return false;
  }
  if (spec.path) {
    spec.path.lastIndex = 0;
    return spec.path.test(pathAndQuery);
  }
  return true;
}

/** The Retry-After header value for `seconds` from `now` (RFC 9110 §10.2.3). */
export function retryAfterValue(seconds: number, format: RetryAfterFormat, now: number): string {
  if (format === 'seconds') {
    return String(Math.ceil(seconds));
  }
  // An HTTP-date has whole seconds: round up so the deadline is never earlier than asked.
  const at = Math.ceil((now + seconds * 1000) / 1000) * 1000;
  return new Date(at).toUTCString();
}
