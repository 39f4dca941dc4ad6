// Append-only audit trail with a hash chain (see ../audit-chain.ts). Appends are serialised
// (an advisory lock on PostgreSQL; SQLite transactions are exclusive) so the chain never forks.
import type { Resource } from '@medplum/fhirtypes';
import { auditHash, GENESIS_HASH } from '../audit-chain.ts';
import type { AuditRecord } from '../store.ts';
import { iso, type OpsContext } from './context.ts';

interface AuditRow {
  seq: number;
  recorded: string;
  tenant: string;
  event: string;
  prev_hash: string;
  hash: string;
}

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

/** Must run inside a transaction. */
export function auditOps(ctx: OpsContext) {
  return {
    async appendAudit(tenant: string, event: Resource): Promise<AuditRecord> {
      if (ctx.dialect.lockSql) {
        await ctx.exec.all(ctx.dialect.lockSql, ['audit-chain']);
      }
      const last = await ctx.exec.all<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
      const seq = (last[0] ? Number(last[0].seq) : 0) + 1;
      const prevHash = last[0]?.hash ?? GENESIS_HASH;
      const recorded = iso(ctx.now());
      const hash = auditHash(prevHash, { seq, recorded, tenant, event });
      await ctx.exec.run('INSERT INTO audit_events (seq, recorded, tenant, event, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)', [
        seq,
        recorded,
        tenant,
        JSON.stringify(event),
        prevHash,
        hash,
      ]);
      return { seq, recorded, tenant, event, prevHash, hash };
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
