// Opaque keyset cursors (search paging that stays stable under concurrent writes): the sort
// values and id of the last row of a page, bound to the query they came from.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit-chain.ts';
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { badRequest } from '../../fhir/outcomes.ts';
import type { SearchQuery } from './query.ts';

export interface CursorPosition {
  keys: (string | number)[];
  id: string;
}

/** Identifies the query a cursor belongs to: tenant, type, filters and sort (not the page size). */
export function queryFingerprint(tenant: string, query: SearchQuery): string {
  const shape = { tenant, resourceType: query.resourceType, filters: query.filters, sort: query.sort ?? [] };
  return createHash('sha256').update(canonicalJson(shape)).digest('base64url').slice(0, 22);
}

export function encodeCursor(fingerprint: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ f: fingerprint, k: position.keys, i: position.id }), 'utf8').toString('base64url');
}

const invalid = (): OperationOutcomeError => new OperationOutcomeError(badRequest('Invalid or expired page cursor'));

export function decodeCursor(cursor: string, fingerprint: string, keyCount: number): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const value = parsed as { f?: unknown; k?: unknown; i?: unknown } | null;
  if (
    !value ||
    value.f !== fingerprint ||
    typeof value.i !== 'string' ||
    !Array.isArray(value.k) ||
    value.k.length !== keyCount ||
    !value.k.every((k) => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k)))
  ) {
    throw invalid();
  }
  return { keys: value.k as (string | number)[], id: value.i };
}
