// FHIR R4 operationoutcome.html: every error the gateway produces is an OperationOutcome.
// The outcome `id` names the kind of result (Medplum's convention); `statusOf` in
// http-status.ts is the one place that turns it into an HTTP status.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/** The kinds of result an outcome can stand for; each maps to one HTTP status. */
export type OutcomeKind =
  | 'ok'
  | 'created'
  | 'not-modified'
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'not-acceptable'
  | 'conflict'
  | 'gone'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable'
  | 'too-many-requests'
  | 'server-error'
  | 'not-implemented'
  | 'bad-gateway'
  | 'unavailable'
  | 'gateway-timeout';

/** One issue. `expression` is a FHIRPath with indices, e.g. `Task.input[1].value.ofType(Reference)`. */
export function issue(
  severity: IssueSeverity,
  code: IssueCode,
  text: string,
  expression?: string | string[],
): OperationOutcomeIssue {
  const result: OperationOutcomeIssue = { severity, code, details: { text } };
  if (expression !== undefined) {
    result.expression = Array.isArray(expression) ? expression : [expression];
  }
  return result;
}

export function outcome(kind: OutcomeKind, issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', id: kind, issue: issues };
}

function single(kind: OutcomeKind, severity: IssueSeverity, code: IssueCode) {
  return (text: string, expression?: string | string[]): OperationOutcome =>
    outcome(kind, [issue(severity, code, text, expression)]);
}

export const allOk: OperationOutcome = outcome('ok', [issue('information', 'informational', 'All OK')]);
export const createdOk: OperationOutcome = outcome('created', [issue('information', 'informational', 'Created')]);
export const notModified: OperationOutcome = outcome('not-modified', [issue('information', 'informational', 'Not modified')]);

export const badRequest = single('bad-request', 'error', 'invalid');
export const structureError = single('bad-request', 'error', 'structure');
export const unauthorized = single('unauthorized', 'error', 'login');
export const forbidden = single('forbidden', 'error', 'forbidden');
export const notFound = single('not-found', 'error', 'not-found');
export const methodNotAllowed = single('method-not-allowed', 'error', 'not-supported');
export const notAcceptable = single('not-acceptable', 'error', 'not-supported');
export const conflict = single('conflict', 'error', 'conflict');
export const gone = single('gone', 'error', 'deleted');
export const preconditionFailed = single('precondition-failed', 'error', 'conflict');
export const multipleMatches = single('precondition-failed', 'error', 'multiple-matches');
export const payloadTooLarge = single('payload-too-large', 'error', 'too-long');
export const unsupportedMediaType = single('unsupported-media-type', 'error', 'not-supported');
export const businessRule = single('unprocessable', 'error', 'business-rule');
export const tooManyRequests = single('too-many-requests', 'error', 'throttled');
export const serverError = single('server-error', 'fatal', 'exception');
export const notImplemented = single('not-implemented', 'error', 'not-supported');
export const badGateway = single('bad-gateway', 'error', 'transient');
export const unavailable = single('unavailable', 'error', 'transient');
export const gatewayTimeout = single('gateway-timeout', 'error', 'timeout');

/** A validation result: 422 when it holds an error, 200 otherwise. */
export function validationOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  if (issues.length === 0) {
    return outcome('ok', [issue('information', 'informational', 'No issues found')]);
  }
  return outcome(hasErrors(issues) ? 'unprocessable' : 'ok', issues);
}

export function isError(i: OperationOutcomeIssue): boolean {
  return i.severity === 'error' || i.severity === 'fatal';
}

export function hasErrors(issues: OperationOutcomeIssue[] | OperationOutcome): boolean {
  const list = Array.isArray(issues) ? issues : (issues.issue ?? []);
  return list.some(isError);
}

/** The human text of the first issue, for messages and logs (never contains input data). */
export function firstText(o: OperationOutcome): string {
  const first = o.issue?.[0];
  return first?.details?.text ?? first?.diagnostics ?? first?.code ?? 'unknown';
}
