// Error texts stored with outbox items and dead letters: only the issue texts of the
// gateway's own OperationOutcomes (which never carry bodies, identifiers or tokens), never a
// raw exception message, which might echo data (STYLE.md, no PHI in logs or error texts).
import { OperationOutcomeError } from '../fhir/errors.ts';

export function safeErrorText(error: unknown, fallback = 'internal error'): string {
  if (error instanceof OperationOutcomeError) {
    const texts = (error.outcome.issue ?? []).map((i) => i.details?.text ?? i.code).filter((t) => t.length > 0);
    return texts.length ? texts.join('; ').slice(0, 500) : fallback;
  }
  return fallback;
}
