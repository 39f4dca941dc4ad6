// Sync cursors (compare-and-set) and leases with fencing tokens, for work shared by replicas.
import type { Lease } from '../store.ts';
import { iso, type OpsContext } from './context.ts';

interface LeaseRow {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
}

export function coordinationOps(ctx: OpsContext) {
  return {
    async getCursor(name: string): Promise<string | undefined> {
      const rows = await ctx.exec.all<{ value: string }>('SELECT value FROM cursors WHERE name = ?', [name]);
      return rows[0]?.value;
    },

    async compareAndSetCursor(name: string, expected: string | undefined, next: string): Promise<boolean> {
      const now = ctx.now();
      if (expected === undefined) {
        const rows = await ctx.exec.all<{ name: string }>(
          'INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name',
          [name, next, now],
        );
        return rows.length === 1;
      }
      const changed = await ctx.exec.run('UPDATE cursors SET value = ?, updated_at = ? WHERE name = ? AND value = ?', [
        next,
        now,
        name,
        expected,
      ]);
      return changed === 1;
    },

    /**
     * Takes the lease when it is free, expired or already ours. The fencing token goes up
     * whenever the lease is taken afresh and stays the same while its holder renews it.
     */
    async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
      const now = ctx.now();
      const rows = await ctx.exec.all<LeaseRow>(
        `INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (name) DO UPDATE SET
           token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? THEN leases.token ELSE leases.token + 1 END,
           holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
         RETURNING name, holder, token, expires_at`,
        [name, holder, now + Math.max(0, ttlMs), now, now],
      );
      const row = rows[0];
      return row ? { name: row.name, holder: row.holder, token: Number(row.token), expiresAt: iso(Number(row.expires_at)) } : undefined;
    },

    /** Ends the lease at once; the token is kept so the next holder gets a higher one. */
    async releaseLease(name: string, holder: string): Promise<void> {
      await ctx.exec.run('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?', [ctx.now() - 1, name, holder]);
    },

    /** True while `token` is the lease's current token and the lease has not expired. */
    async checkFence(name: string, token: number): Promise<boolean> {
      const rows = await ctx.exec.all<{ n: number }>('SELECT COUNT(*) AS n FROM leases WHERE name = ? AND token = ? AND expires_at > ?', [
        name,
        token,
        ctx.now(),
      ]);
      return Number(rows[0]?.n ?? 0) === 1;
    },
  };
}
