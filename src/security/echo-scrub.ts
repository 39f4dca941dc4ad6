// Error answers must not echo what the client sent (RELIABILITY.md "PHI": error messages never
// carry payload values, identifiers or query strings). Validators and handlers sometimes quote
// the offending value ("The code 'x' is not in ...", "Patient/x not found"); this pure layer
// removes such quotes from an OperationOutcome by replacing every data-like string the request
// supplied (body leaf values, query values, id segments, conditional headers). Code-like words
// (lower-case letters and dashes), resource type names and canonical URLs in bodies are kept so
// that messages about codes and profiles stay useful; ids in the path and query values are
// always replaced, so an answer never depends on the shape of the id asked for.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { SERVED_TYPES } from '../rest/resource-types.ts';

export const SCRUBBED = '***';
const CODE_LIKE = /^[a-z][a-z-]*$/;
const TYPE_NAMES: ReadonlySet<string> = new Set([...SERVED_TYPES, 'Bundle', 'Parameters', 'OperationOutcome', 'Binary']);
const CANONICAL = /^(https?:\/\/|urn:)[^\s|]*$/;
const MAX_VALUES = 5000;

/** True for a supplied string worth hiding when quoted back. */
export function isDataLike(value: string): boolean {
  const v = value.trim();
  return v.length >= 3 && !CODE_LIKE.test(v) && !TYPE_NAMES.has(v) && !CANONICAL.test(v);
}

/** Leaf strings of a parsed body (and numbers, which carry dates and identifiers too). */
export function suppliedValues(sources: { body?: unknown; query?: URLSearchParams; pathSegments?: string[]; headers?: (string | undefined)[] }): string[] {
  const values = new Set<string>();
  const add = (value: string, always = false) => {
    if (values.size < MAX_VALUES) {
      for (const part of [value, ...value.split(/[|,=&\s]+/)]) {
        const trimmed = part.trim();
        if (always ? trimmed.length >= 3 && !TYPE_NAMES.has(trimmed) && !/^[_$]/.test(trimmed) : isDataLike(trimmed)) values.add(trimmed);
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
  for (const [, value] of sources.query ?? []) add(value, true);
  for (const segment of sources.pathSegments ?? []) add(segment, true);
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
