// Search, _include and _revinclude reads through the index tables (FHIR R4 search.html).
import type { SearchQuery } from '../search/query.ts';
import { decodeCursor, encodeCursor, queryFingerprint } from '../search/cursor.ts';
import { planSearch } from '../search/plan.ts';
import type { SearchResult, StoredVersion } from '../store.ts';
import type { SqlValue } from '../sql/executor.ts';
import type { OpsContext } from './context.ts';
import { parseReference } from './index-rows.ts';
import { toStoredVersion, versionColumns, type VersionRow } from './resources.ts';

const CHUNK = 100;

type PageRow = VersionRow & Record<string, string | number>;

export function searchOps(ctx: OpsContext) {
  return {
    async search(tenant: string, query: SearchQuery): Promise<SearchResult> {
      const fingerprint = queryFingerprint(tenant, query);
      const probe = planSearch(tenant, query, undefined, ctx.now());
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint, probe.keyCount);
      const plan = after ? planSearch(tenant, query, after, ctx.now()) : probe;
      const result: SearchResult = { versions: [] };
      if (query.total === 'accurate' || query.summaryCount) {
        const rows = await ctx.exec.all<{ n: number }>(plan.count.sql, plan.count.params);
        result.total = Number(rows[0]?.n ?? 0);
      }
      if (query.summaryCount || plan.limit === 0) {
        return result;
      }
      const rows = await ctx.exec.all<PageRow>(plan.page.sql, plan.page.params);
      const page = rows.slice(0, plan.limit);
      result.versions = page.map((row) => toStoredVersion(row));
      if (rows.length > plan.limit) {
        const lastRow = page[page.length - 1];
        const keys = Array.from({ length: plan.keyCount }, (_, i) => lastRow[`s${i}`]);
        result.next = encodeCursor(fingerprint, { keys: keys.map((k) => (typeof k === 'string' ? k : Number(k))), id: lastRow.id });
      }
      return result;
    },

    async readMany(tenant: string, references: string[]): Promise<StoredVersion[]> {
      const pairs = new Map<string, [string, string]>();
      for (const reference of references) {
        const ref = parseReference(reference);
        if (ref.targetType && ref.targetId) {
          pairs.set(ref.target, [ref.targetType, ref.targetId]);
        }
      }
      // Grouped by type so each query seeks the primary key (an OR of (type, id) pairs makes
      // SQLite's planner read every resource of the tenant).
      const byType = new Map<string, string[]>();
      for (const [type, id] of pairs.values()) {
        byType.set(type, [...(byType.get(type) ?? []), id]);
      }
      const found: StoredVersion[] = [];
      for (const [type, ids] of byType) {
        for (let start = 0; start < ids.length; start += CHUNK) {
          const chunk = ids.slice(start, start + CHUNK);
          const rows = await ctx.exec.all<VersionRow>(
            `SELECT ${versionColumns} FROM resources WHERE tenant = ? AND type = ? AND deleted = 0 AND id IN (${chunk.map(() => '?').join(', ')})`,
            [tenant, type, ...chunk],
          );
          found.push(...rows.map((row) => toStoredVersion(row)));
        }
      }
      return found;
    },

    async findReferencing(
      tenant: string,
      query: { resourceType: string; param: string; targets: string[]; limit?: number },
    ): Promise<StoredVersion[]> {
      const targets = [...new Set(query.targets.map((t) => parseReference(t).target))];
      if (targets.length === 0) {
        return [];
      }
      const limit = Math.max(0, Math.trunc(query.limit ?? 1000));
      const params: SqlValue[] = [tenant, query.resourceType, tenant, query.resourceType, query.param, ...targets, limit];
      const rows = await ctx.exec.all<VersionRow>(
        `SELECT r.${versionColumns.split(', ').join(', r.')} FROM resources r
         WHERE r.tenant = ? AND r.type = ? AND r.deleted = 0
           AND r.id IN (SELECT x.id FROM idx_reference x WHERE x.tenant = ? AND x.type = ? AND x.param = ?
                        AND x.target IN (${targets.map(() => '?').join(', ')}))
         ORDER BY r.id LIMIT ?`,
        params,
      );
      return rows.map((row) => toStoredVersion(row));
    },
  };
}
