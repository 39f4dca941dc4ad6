// Error answers must not echo what the client sent (RELIABILITY.md "PHI": error messages never
// carry payload values, identifiers or query strings). Validators and handlers sometimes quote
// the offending value ("The code 'x' is not in ...", "Patient/x not found"); this pure layer
// removes such quotes from an OperationOutcome by replacing every data-like string the request
// supplied (body leaf values, query values, id segments, conditional headers). Code-like words
// (lower-case letters, digits, dashes), resource type names and canonical URLs are kept so that
// messages about codes and profiles stay useful.
import type { OperationOutcome } from '@medplum/fhirtypes';

export const SCRUBBED = '***';
const CODE_LIKE = /^[a-z][a-z0-9-]*$/;
const TYPE_NAME = /^[A-Z][A-Za-z]{1,63}$/;
const CANONICAL = /^(https?:\/\/|urn:)[^\s|]*$/;
const MAX_VALUES = 5000;

/** True for a supplied string worth hiding when quoted back. */
export function isDataLike(value: string): boolean {
  const v = value.trim();
  return v.length >= 3 && !CODE_LIKE.test(v) && !TYPE_NAME.test(v) && !CANONICAL.test(v);
}

/** Leaf strings of a parsed body (and numbers, which carry dates and identifiers too). */
export function suppliedValues(sources: { body?: unknown; query?: URLSearchParams; pathSegments?: string[]; headers?: (string | undefined)[] }): string[] {
  const values = new Set<string>();
  const add = (value: string) => {
    if (values.size < MAX_VALUES) {
      for (const part of [value, ...value.split(/[|,=&\s]+/)]) {
        if (isDataLike(part)) values.add(part.trim());
      }
    }
  };
  const walk = (node: unknown, depth: number) => {
    if (depth > 64 || values.size >= MAX_VALUES) return;
    if (typeof node === 'string') add(node);
    else if (typeof node === 'number' && String(node).length >= 3) add(String(node));
    else if (Array.isArray(node)) node.forEach((child) => walk(child, depth + 1));
    else if (node && typeof node === 'object') Object.values(node as Record<string, unknown>).forEach((child) => walk(child, depth + 1));
  };
  walk(sources.body, 0);
  for (const [, value] of sources.query ?? []) add(value);
  for (const segment of sources.pathSegments ?? []) add(segment);
  for (const header of sources.headers ?? []) if (header) add(header);
  return [...values].sort((a, b) => b.length - a.length);
}

function scrubText(text: string, values: readonly string[]): string {
  let result = text;
  for (const value of values) {
    if (result.includes(value)) result = result.split(value).join(SCRUBBED);
  }
  return result;
}

/** The outcome with every supplied data-like value replaced in texts and diagnostics. */
export function scrubOutcome(outcome: OperationOutcome, values: readonly string[]): OperationOutcome {
  if (values.length === 0) return outcome;
  return {
    ...outcome,
    issue: (outcome.issue ?? []).map((issue) => ({
      ...issue,
      ...(issue.details ? { details: { ...issue.details, ...(issue.details.text !== undefined ? { text: scrubText(issue.details.text, values) } : {}) } } : {}),
      ...(issue.diagnostics !== undefined ? { diagnostics: scrubText(issue.diagnostics, values) } : {}),
      ...(issue.expression ? { expression: issue.expression.map((e) => scrubText(e, values)) } : {}),
    })),
  };
}
