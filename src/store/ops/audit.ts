// Append-only audit trail with a hash chain (see ../audit-chain.ts). No lock: a record is
// inserted only if the record it links to is the chain's last one and its seq is still free,
// so the primary key on seq keeps the chain from forking whoever appends at once (other
// requests, other processes). A writer that lost the race reads the new tail and tries again.
import type { Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { unavailable } from '../../fhir/outcomes.ts';
import { auditHash, GENESIS_HASH } from '../audit-chain.ts';
import type { AuditRecord } from '../store.ts';
import type { Executor, SqlValue } from '../sql/executor.ts';
import { iso, type OpsContext } from './context.ts';

interface AuditRow {
  seq: number;
  recorded: string;
  tenant: string;
  event: string;
  prev_hash: string;
  hash: string;
}

/** The last record of the chain: what the next record links to. */
export interface ChainTail {
  seq: number;
  hash: string;
}

export interface AuditEntry {
  tenant: string;
  event: Resource;
}

/** Attempts before an append gives up (each lost attempt means another writer appended). */
export const MAX_APPEND_ATTEMPTS = 50;

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    recorded: row.recorded,
    tenant: row.tenant,
    event: JSON.parse(row.event) as Resource,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The records continuing the chain after `tail` (undefined: the chain is empty). Pure. */
export function chainAfter(tail: ChainTail | undefined, entries: readonly AuditEntry[], recorded: string): AuditRecord[] {
  let seq = tail?.seq ?? 0;
  let prevHash = tail?.hash ?? GENESIS_HASH;
  return entries.map(({ tenant, event }) => {
    seq += 1;
    const hash = auditHash(prevHash, { seq, recorded, tenant, event });
    const record: AuditRecord = { seq, recorded, tenant, event, prevHash, hash };
    prevHash = hash;
    return record;
  });
}

export async function readTail(exec: Executor): Promise<ChainTail | undefined> {
  const rows = await exec.all<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
}

/**
 * One statement inserting `records` only when `tail` is the chain's last record (or the chain
 * is empty and `tail` undefined). Every value is cast so both dialects type the rows alike.
 */
export function insertAfter(tail: ChainTail | undefined, records: readonly AuditRecord[], onConflictNothing: boolean): { sql: string; params: SqlValue[] } {
  const row = 'CAST(? AS BIGINT) AS seq, CAST(? AS TEXT) AS recorded, CAST(? AS TEXT) AS tenant, CAST(? AS TEXT) AS event, CAST(? AS TEXT) AS prev_hash, CAST(? AS TEXT) AS hash';
  const rows = records.map(() => `SELECT ${row}`).join(' UNION ALL ');
  const linked = tail ? 'EXISTS (SELECT 1 FROM audit_events t WHERE t.seq = ? AND t.hash = ?)' : 'NOT EXISTS (SELECT 1 FROM audit_events t)';
  const params: SqlValue[] = records.flatMap((r) => [r.seq, r.recorded, r.tenant, JSON.stringify(r.event), r.prevHash, r.hash]);
  if (tail) {
    params.push(tail.seq, tail.hash);
  }
  return {
    sql: `INSERT INTO audit_events (seq, recorded, tenant, event, prev_hash, hash)
      SELECT v.seq, v.recorded, v.tenant, v.event, v.prev_hash, v.hash FROM (${rows}) v WHERE ${linked}${onConflictNothing ? ' ON CONFLICT (seq) DO NOTHING' : ''}`,
    params,
  };
}

export function chainBusy(): OperationOutcomeError {
  return new OperationOutcomeError(unavailable('The audit trail is busy; try again'));
}

export function auditOps(ctx: OpsContext) {
  return {
    /**
     * Appends one record inside the caller's transaction (it is rolled back with it). A seq
     * taken meanwhile is skipped without an error, so the transaction stays usable.
     */
    async appendAudit(tenant: string, event: Resource): Promise<AuditRecord> {
      for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
        const tail = await readTail(ctx.exec);
        const [record] = chainAfter(tail, [{ tenant, event }], iso(ctx.now()));
        const insert = insertAfter(tail, [record], true);
        if ((await ctx.exec.run(insert.sql, insert.params)) === 1) {
          return record;
        }
      }
      throw chainBusy();
    },

    async readAudit(options: { afterSeq?: number; limit: number }): Promise<AuditRecord[]> {
      const rows = await ctx.exec.all<AuditRow>(
        'SELECT seq, recorded, tenant, event, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?',
        [options.afterSeq ?? 0, Math.max(0, Math.trunc(options.limit))],
      );
      return rows.map(toRecord);
    },
  };
}
