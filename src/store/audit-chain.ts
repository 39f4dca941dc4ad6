// Hash chain of the audit trail: each record's hash is sha256 over the previous hash and
// the canonical JSON of the record (seq, recorded, tenant, event), so changing, removing or
// reordering any record breaks every hash after it. Pure functions.
import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { AuditRecord } from './store.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function auditHash(prevHash: string, record: { seq: number; recorded: string; tenant: string; event: Resource }): string {
  const canonical = canonicalJson({ seq: record.seq, recorded: record.recorded, tenant: record.tenant, event: record.event });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** The seq of the first record whose link or hash is wrong, or undefined when the chain holds. */
export function findBrokenLink(records: readonly AuditRecord[], prevHash: string = GENESIS_HASH): number | undefined {
  let previous = prevHash;
  for (const record of records) {
    if (record.prevHash !== previous || auditHash(previous, record) !== record.hash) {
      return record.seq;
    }
    previous = record.hash;
  }
  return undefined;
}
