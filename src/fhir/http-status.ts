// The one map from an outcome to an HTTP status (FHIR R4 http.html#2.21.0.16).
import type { OperationOutcome } from '@medplum/fhirtypes';
import { hasErrors, type OutcomeKind } from './outcomes.ts';

const STATUS: Record<OutcomeKind, number> = {
  ok: 200,
  created: 201,
  'not-modified': 304,
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'not-acceptable': 406,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'too-many-requests': 429,
  'server-error': 500,
  'not-implemented': 501,
  'bad-gateway': 502,
  unavailable: 503,
  'gateway-timeout': 504,
};

export function statusOf(o: OperationOutcome): number {
  const kind = o.id as OutcomeKind | undefined;
  if (kind && kind in STATUS) {
    return STATUS[kind];
  }
  return hasErrors(o) ? 400 : 200;
}
