// The one error type of the gateway: an Error that carries an OperationOutcome.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { firstText, serverError } from './outcomes.ts';

export class OperationOutcomeError extends Error {
  readonly outcome: OperationOutcome;
  constructor(outcome: OperationOutcome, options?: { cause?: unknown }) {
    super(firstText(outcome), options);
    this.name = 'OperationOutcomeError';
    this.outcome = outcome;
  }
}

export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { resourceType?: unknown }).resourceType === 'OperationOutcome' &&
    Array.isArray((value as { issue?: unknown }).issue)
  );
}

/**
 * Turns anything thrown into an OperationOutcome. Unknown errors become a generic
 * server error: their messages may hold input data, so they are never shown to clients.
 */
export function normalize(error: unknown): OperationOutcome {
  if (error instanceof OperationOutcomeError) {
    return error.outcome;
  }
  if (isOperationOutcome(error)) {
    return error;
  }
  return serverError('Internal server error');
}

/** Throws when the outcome holds an error issue; returns it otherwise. */
export function assertOk(o: OperationOutcome): OperationOutcome {
  if ((o.issue ?? []).some((i) => i.severity === 'error' || i.severity === 'fatal')) {
    throw new OperationOutcomeError(o);
  }
  return o;
}
