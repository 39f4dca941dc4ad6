// Every way a call to an EHR can fail, turned into the gateway's one error type. Texts name
// the operation and the HTTP status only: never bodies, identifiers, URLs or tokens, since
// an EHR's answer may echo patient data (RELIABILITY.md, PHI).
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { issue, outcome, type IssueCode, type OutcomeKind } from '../fhir/outcomes.ts';

export type EhrOperation = 'read' | 'search' | 'create' | 'conditionalCreate' | 'update' | 'transaction' | 'token';

export type EhrFailureCause =
  | { kind: 'status'; status: number; attempts: number; ehrOutcome?: unknown }
  | { kind: 'timeout'; attempts: number }
  | { kind: 'network'; attempts: number }
  | { kind: 'retry-after-too-long'; status: number; attempts: number }
  | { kind: 'too-large'; status: number; limit: number }
  | { kind: 'redirect'; status: number }
  | { kind: 'content-type'; status: number }
  | { kind: 'unreadable'; status: number }
  | { kind: 'foreign-link' }
  | { kind: 'too-many-pages'; limit: number }
  | { kind: 'aborted' }
  | { kind: 'key' };

const TRANSIENT_CODES: ReadonlySet<string> = new Set(['transient', 'timeout', 'throttled']);

export function ehrFailure(operation: EhrOperation, cause: EhrFailureCause): OperationOutcomeError {
  const [kind, code, detail] = describe(cause);
  const conflict = kind === 'conflict';
  const text = `EHR ${operation} ${conflict ? 'conflict' : 'failed'}: ${detail}`;
  const issues: OperationOutcomeIssue[] = [issue('error', code, text)];
  if (cause.kind === 'status') {
    issues.push(...ehrIssueLocations(cause.ehrOutcome));
  }
  return new OperationOutcomeError(outcome(kind, issues));
}

function times(attempts: number): string {
  return attempts > 1 ? ` after ${attempts} attempts` : '';
}

function describe(cause: EhrFailureCause): [OutcomeKind, IssueCode, string] {
  switch (cause.kind) {
    case 'status':
      return describeStatus(cause.status, `HTTP ${cause.status}${times(cause.attempts)}`);
    case 'timeout':
      return ['gateway-timeout', 'timeout', `timeout${times(cause.attempts)}`];
    case 'network':
      return ['bad-gateway', 'transient', `network error${times(cause.attempts)}`];
    case 'retry-after-too-long':
      return ['unavailable', 'throttled', `HTTP ${cause.status}, Retry-After beyond the allowed wait${times(cause.attempts)}`];
    case 'too-large':
      return ['bad-gateway', 'too-long', `HTTP ${cause.status}, response larger than ${cause.limit} bytes`];
    case 'redirect':
      return ['bad-gateway', 'security', `HTTP ${cause.status}, redirect not followed`];
    case 'content-type':
      return ['bad-gateway', 'structure', `HTTP ${cause.status}, response is not FHIR JSON`];
    case 'unreadable':
      return ['bad-gateway', 'structure', `HTTP ${cause.status}, response body unreadable`];
    case 'foreign-link':
      return ['bad-gateway', 'security', 'paging link outside the EHR base URL refused'];
    case 'too-many-pages':
      return ['bad-gateway', 'too-costly', `more than ${cause.limit} pages`];
    case 'aborted':
      return ['unavailable', 'transient', 'cancelled'];
    case 'key':
      return ['server-error', 'security', 'private key unreadable'];
  }
}

function describeStatus(status: number, detail: string): [OutcomeKind, IssueCode, string] {
  // FHIR R4 http.html#concurrency: servers answer a version mismatch with 409 or 412.
  if (status === 409 || status === 412) {
    return ['conflict', 'conflict', detail];
  }
  if (status === 404) {
    return ['not-found', 'not-found', detail];
  }
  if (status === 410) {
    return ['gone', 'deleted', detail];
  }
  if (status === 401 || status === 403) {
    return ['bad-gateway', 'security', detail];
  }
  if (status === 429) {
    return ['unavailable', 'throttled', detail];
  }
  if (status >= 500) {
    return ['unavailable', 'transient', detail];
  }
  return ['bad-gateway', 'invalid', detail];
}

const SAFE_EXPRESSION = /^[A-Za-z][A-Za-z0-9_.[\]()]{0,199}$/;
const ISSUE_CODES: ReadonlySet<string> = new Set(['invalid', 'structure', 'required', 'value', 'invariant', 'business-rule', 'code-invalid', 'duplicate', 'not-found', 'conflict', 'processing']);

/**
 * Locations the EHR reported (FHIRPath expressions), without its texts or diagnostics, which may
 * echo submitted data. Each becomes an issue of its own with a fixed text.
 */
function ehrIssueLocations(body: unknown): OperationOutcomeIssue[] {
  const reported = (body as Partial<OperationOutcome> | undefined)?.issue;
  if ((body as { resourceType?: unknown } | undefined)?.resourceType !== 'OperationOutcome' || !Array.isArray(reported)) {
    return [];
  }
  const result: OperationOutcomeIssue[] = [];
  for (const reportedIssue of reported.slice(0, 50)) {
    const expressions = (reportedIssue.expression ?? []).filter((e) => typeof e === 'string' && SAFE_EXPRESSION.test(e));
    if (expressions.length === 0) {
      continue;
    }
    const code = ISSUE_CODES.has(reportedIssue.code) ? reportedIssue.code : 'processing';
    result.push(issue('error', code, 'Issue reported by the EHR', expressions));
  }
  return result;
}

function issueCodes(error: unknown): string[] {
  return error instanceof OperationOutcomeError ? (error.outcome.issue ?? []).map((i) => i.code) : [];
}

/** A version conflict (409 or 412): re-read and re-apply, or park for a person. */
export function isEhrConflict(error: unknown): boolean {
  return error instanceof OperationOutcomeError && error.outcome.id === 'conflict';
}

/** Worth trying again later: timeouts, network errors, throttling, 5xx. */
export function isEhrTransient(error: unknown): boolean {
  const first = issueCodes(error)[0];
  return first !== undefined && TRANSIENT_CODES.has(first);
}

export function isEhrNotFound(error: unknown): boolean {
  return error instanceof OperationOutcomeError && (error.outcome.id === 'not-found' || error.outcome.id === 'gone');
}
