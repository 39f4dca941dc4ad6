// Appends to the audit trail outside a transaction, with group commit: the appends that
// arrive while one is being written go together in the next single INSERT statement (one
// round trip and one commit for all of them). Each caller's promise settles only when the
// statement holding its record has committed, and rejects when it failed, so a request is
// never answered on an unrecorded audit event. The chain's last record is remembered as a
// hint; the statement itself checks that it is still the last (ops/audit.ts), so another
// process appending at the same time only costs a retry.
import type { Resource } from '@medplum/fhirtypes';
import { chainAfter, chainBusy, insertAfter, MAX_APPEND_ATTEMPTS, readTail, type AuditEntry, type ChainTail } from './ops/audit.ts';
import { iso } from './ops/context.ts';
import type { Runner } from './sql/executor.ts';
import type { AuditRecord } from './store.ts';

/** Records per statement at most (6 parameters each). */
export const MAX_BATCH = 100;

interface Waiting extends AuditEntry {
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

export interface AuditAppender {
  append(tenant: string, event: Resource): Promise<AuditRecord>;
}

export function auditAppender(runner: Runner, now: () => number): AuditAppender {
  const queue: Waiting[] = [];
  let writing = false;
  let tail: ChainTail | undefined;
  let tailKnown = false;

  const write = (entries: readonly AuditEntry[]): Promise<AuditRecord[]> =>
    runner.read(async (exec) => {
      for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
        if (!tailKnown) {
          tail = await readTail(exec);
          tailKnown = true;
        }
        const records = chainAfter(tail, entries, iso(now()));
        // All or nothing: a plain INSERT fails as a whole when any seq is taken.
        const insert = insertAfter(tail, records, false);
        let inserted = 0;
        try {
          inserted = await exec.run(insert.sql, insert.params);
        } catch (error) {
          tailKnown = false;
          if (runner.dialect.isUniqueViolation(error)) {
            continue;
          }
          throw error;
        }
        if (inserted === records.length) {
          tail = records.at(-1);
          return records;
        }
        // The remembered tail is no longer the last record: read it again.
        tailKnown = false;
      }
      throw chainBusy();
    });

  const drain = async (): Promise<void> => {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          const records = await write(batch);
          batch.forEach((waiting, i) => waiting.resolve(records[i]));
        } catch (error) {
          batch.forEach((waiting) => waiting.reject(error));
        }
      }
    } finally {
      writing = false;
    }
  };

  return {
    append(tenant: string, event: Resource): Promise<AuditRecord> {
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ tenant, event, resolve, reject });
        if (!writing) {
          void drain();
        }
      });
    },
  };
}
