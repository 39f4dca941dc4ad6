// Resource versions (FHIR R4 http.html): current row + history row + index rows, written
// together in the caller's transaction. The store assigns meta.versionId (1, 2, ...) and
// meta.lastUpdated (ISO instant with milliseconds).
import type { Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { badRequest, conflict, preconditionFailed } from '../../fhir/outcomes.ts';
import type { HistoryOptions, StoredVersion, UpdateOptions } from '../store.ts';
import type { SqlValue } from '../sql/executor.ts';
import { iso, type OpsContext } from './context.ts';
import { indexRows, indexTables } from './index-rows.ts';
import { PROJECTED_TYPES, projectVersion } from './referral-facts.ts';

export interface VersionRow {
  type: string;
  id: string;
  version_id: number;
  last_updated: number;
  deleted: number;
  body: string;
}

export const versionColumns = 'type, id, version_id, last_updated, deleted, body';

export function toStoredVersion<T extends Resource>(row: VersionRow): StoredVersion<T> {
  return {
    resourceType: row.type as T['resourceType'],
    id: row.id,
    versionId: String(row.version_id),
    lastUpdated: iso(Number(row.last_updated)),
    deleted: Number(row.deleted) === 1,
    resource: JSON.parse(row.body) as T,
  };
}

/** Parameters per multi-row INSERT: well under SQLite's and PostgreSQL's limits. */
const PARAMS_PER_INSERT = 4000;

async function insertRows(ctx: OpsContext, table: string, columns: readonly string[], rows: SqlValue[][]): Promise<void> {
  const perStatement = Math.max(1, Math.floor(PARAMS_PER_INSERT / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`;
    await ctx.exec.run(sql, chunk.flat());
  }
}

async function deleteIndex(ctx: OpsContext, tenant: string, type: string, id: string): Promise<void> {
  for (const { table } of Object.values(indexTables)) {
    await ctx.exec.run(`DELETE FROM ${table} WHERE tenant = ? AND type = ? AND id = ?`, [tenant, type, id]);
  }
}

async function writeIndex(ctx: OpsContext, tenant: string, resources: readonly (Resource & { id: string })[]): Promise<void> {
  const indexer = ctx.indexer;
  if (!indexer) {
    return;
  }
  const perResource = resources.map((resource) => ({ resource, rows: indexRows(indexer(resource)) }));
  for (const kind of Object.keys(indexTables) as (keyof typeof indexTables)[]) {
    const { table, columns } = indexTables[kind];
    const kindRows = perResource.flatMap(({ resource, rows }) => rows[kind].map((row) => [tenant, resource.resourceType, resource.id, ...row]));
    await insertRows(ctx, table, ['tenant', 'type', 'id', 'param', ...columns], kindRows);
  }
}

async function currentRow(ctx: OpsContext, tenant: string, type: string, id: string, lock: boolean): Promise<VersionRow | undefined> {
  const rows = await ctx.exec.all<VersionRow>(
    `SELECT ${versionColumns} FROM resources WHERE tenant = ? AND type = ? AND id = ?${lock ? ctx.dialect.forUpdate : ''}`,
    [tenant, type, id],
  );
  return rows[0];
}

function stamp<T extends Resource>(resource: T, versionId: string, lastUpdated: string): T {
  return { ...resource, meta: { ...resource.meta, versionId, lastUpdated } };
}

/** Writes version `previous + 1`; `previous` undefined means the resource is new in this tenant. */
async function writeVersion<T extends Resource>(
  ctx: OpsContext,
  tenant: string,
  resource: T & { id: string },
  previous: VersionRow | undefined,
  deleted: boolean,
): Promise<StoredVersion<T>> {
  const type = resource.resourceType;
  const versionId = (previous?.version_id ?? 0) + 1;
  const now = Math.max(ctx.now(), previous ? Number(previous.last_updated) : 0);
  const body = deleted ? resource : stamp(resource, String(versionId), iso(now));
  const text = JSON.stringify(body);
  const deletedFlag = deleted ? 1 : 0;
  if (previous) {
    await ctx.exec.run(
      'UPDATE resources SET version_id = ?, last_updated = ?, deleted = ?, body = ? WHERE tenant = ? AND type = ? AND id = ?',
      [versionId, now, deletedFlag, text, tenant, type, resource.id],
    );
    await deleteIndex(ctx, tenant, type, resource.id);
  } else {
    try {
      await ctx.exec.run(
        'INSERT INTO resources (tenant, type, id, version_id, last_updated, deleted, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [tenant, type, resource.id, versionId, now, deletedFlag, text],
      );
    } catch (error) {
      if (ctx.dialect.isUniqueViolation(error)) {
        throw new OperationOutcomeError(conflict('The resource was created concurrently; retry', `${type}.id`), { cause: error });
      }
      throw error;
    }
  }
  await ctx.exec.run(
    'INSERT INTO resource_history (tenant, type, id, version_id, last_updated, deleted, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [tenant, type, resource.id, versionId, now, deletedFlag, text],
  );
  if (!deleted) {
    await writeIndex(ctx, tenant, [body]);
  }
  if (PROJECTED_TYPES.has(type)) {
    await projectVersion(ctx, tenant, { resource: body, versionId, lastUpdated: now, deleted });
  }
  return { resourceType: type, id: resource.id, versionId: String(versionId), lastUpdated: iso(now), deleted, resource: body };
}

export function resourceOps(ctx: OpsContext) {
  return {
    async createResource<T extends Resource>(tenant: string, resource: T & { id: string }): Promise<StoredVersion<T>> {
      const previous = await currentRow(ctx, tenant, resource.resourceType, resource.id, true);
      if (previous && Number(previous.deleted) !== 1) {
        throw new OperationOutcomeError(conflict('A resource with this id already exists', `${resource.resourceType}.id`));
      }
      return writeVersion(ctx, tenant, resource, previous, false);
    },

    /**
     * Creates many new resources with few statements (imports, seeding, Bundles of creates).
     * All or nothing: refuses with 409 when any id already exists, live or deleted.
     */
    async createMany<T extends Resource>(tenant: string, resources: readonly (T & { id: string })[]): Promise<StoredVersion<T>[]> {
      const keys = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
      if (keys.size !== resources.length) {
        throw new OperationOutcomeError(conflict('The same resource appears twice in one createMany'));
      }
      const written: StoredVersion<T>[] = [];
      const rows: SqlValue[][] = [];
      for (const resource of resources) {
        const now = ctx.now();
        const body = stamp(resource, '1', iso(now));
        rows.push([tenant, resource.resourceType, resource.id, 1, now, 0, JSON.stringify(body)]);
        written.push({ resourceType: resource.resourceType, id: resource.id, versionId: '1', lastUpdated: iso(now), deleted: false, resource: body });
      }
      const columns = ['tenant', 'type', 'id', 'version_id', 'last_updated', 'deleted', 'body'];
      try {
        await insertRows(ctx, 'resources', columns, rows);
      } catch (error) {
        if (ctx.dialect.isUniqueViolation(error)) {
          throw new OperationOutcomeError(conflict('A resource with one of these ids already exists'), { cause: error });
        }
        throw error;
      }
      await insertRows(ctx, 'resource_history', columns, rows);
      await writeIndex(ctx, tenant, written.map((v) => v.resource as Resource & { id: string }));
      for (const v of written) {
        if (PROJECTED_TYPES.has(v.resourceType)) {
          await projectVersion(ctx, tenant, { resource: v.resource as Resource & { id: string }, versionId: 1, lastUpdated: Date.parse(v.lastUpdated), deleted: false });
        }
      }
      return written;
    },

    async updateResource<T extends Resource>(
      tenant: string,
      resource: T & { id: string },
      options: UpdateOptions = {},
    ): Promise<{ version: StoredVersion<T>; created: boolean }> {
      const previous = await currentRow(ctx, tenant, resource.resourceType, resource.id, true);
      // FHIR R4 http.html#concurrency: a stale version is refused with 412.
      if (options.ifMatch !== undefined && (!previous || String(previous.version_id) !== options.ifMatch)) {
        throw new OperationOutcomeError(
          preconditionFailed('The resource has changed since the version given in If-Match', `${resource.resourceType}.meta.versionId`),
        );
      }
      const version = await writeVersion(ctx, tenant, resource, previous, false);
      return { version, created: !previous || Number(previous.deleted) === 1 };
    },

    async deleteResource(tenant: string, resourceType: string, id: string): Promise<StoredVersion | undefined> {
      const previous = await currentRow(ctx, tenant, resourceType, id, true);
      if (!previous) {
        return undefined;
      }
      if (Number(previous.deleted) === 1) {
        return toStoredVersion(previous);
      }
      const last = JSON.parse(previous.body) as Resource & { id: string };
      return writeVersion(ctx, tenant, last, previous, true);
    },

    async readResource<T extends Resource>(tenant: string, resourceType: T['resourceType'], id: string): Promise<StoredVersion<T> | undefined> {
      const row = await currentRow(ctx, tenant, resourceType, id, false);
      return row ? toStoredVersion<T>(row) : undefined;
    },

    async readVersion<T extends Resource>(
      tenant: string,
      resourceType: T['resourceType'],
      id: string,
      versionId: string,
    ): Promise<StoredVersion<T> | undefined> {
      if (!/^[1-9]\d{0,9}$/.test(versionId)) {
        return undefined;
      }
      const rows = await ctx.exec.all<VersionRow>(
        `SELECT ${versionColumns} FROM resource_history WHERE tenant = ? AND type = ? AND id = ? AND version_id = ?`,
        [tenant, resourceType, id, Number(versionId)],
      );
      return rows[0] ? toStoredVersion<T>(rows[0]) : undefined;
    },

    async readHistory(tenant: string, resourceType: string, id: string | undefined, options: HistoryOptions): Promise<StoredVersion[]> {
      const where = ['tenant = ?', 'type = ?'];
      const params: SqlValue[] = [tenant, resourceType];
      if (id !== undefined) {
        where.push('id = ?');
        params.push(id);
      }
      if (options.since !== undefined) {
        const since = Date.parse(options.since);
        if (Number.isNaN(since)) {
          throw new OperationOutcomeError(badRequest('_since must be an instant'));
        }
        where.push('last_updated >= ?');
        params.push(since);
      }
      params.push(Math.max(0, Math.trunc(options.count)), Math.max(0, Math.trunc(options.offset ?? 0)));
      const rows = await ctx.exec.all<VersionRow>(
        `SELECT ${versionColumns} FROM resource_history WHERE ${where.join(' AND ')}
         ORDER BY last_updated DESC, id DESC, version_id DESC LIMIT ? OFFSET ?`,
        params,
      );
      return rows.map((row) => toStoredVersion(row));
    },
  };
}
