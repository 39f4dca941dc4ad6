// Collects validation issues: deterministic order (the walk order), no duplicates (the
// same rule reached through the base definition and a profile reports once), and a
// configurable limit after which the walk stops.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, type IssueCode, type IssueSeverity } from '../fhir/outcomes.ts';

export class LimitReached extends Error {
  constructor() {
    super('issue limit reached');
    this.name = 'LimitReached';
  }
}

export interface IssueSink {
  readonly issues: OperationOutcomeIssue[];
  add(severity: IssueSeverity, code: IssueCode, text: string, expression: string): void;
  errorCount(): number;
}

export function createIssueSink(limit: number): IssueSink {
  const issues: OperationOutcomeIssue[] = [];
  const seen = new Set<string>();
  let errors = 0;
  return {
    issues,
    add(severity, code, text, expression) {
      const key = `${severity}\u0000${expression}\u0000${text}`;
      if (seen.has(key)) return;
      seen.add(key);
      issues.push(issue(severity, code, text, expression));
      if (severity === 'error' || severity === 'fatal') errors++;
      if (issues.length >= limit) throw new LimitReached();
    },
    errorCount: () => errors,
  };
}
