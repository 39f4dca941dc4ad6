// The FHIR REST interactions (FHIR R4 http.html) over the Store, free of Express: each takes
// parsed input and returns a RestResult. Every write is validated, checked by the workflow
// hooks and stored in one transaction with whatever the hooks add (outbox items).
import { randomUUID } from 'node:crypto';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import {
  OperationOutcomeError,
  allOk,
  badRequest,
  createdOk,
  gone,
  hasErrors,
  multipleMatches,
  notFound,
  outcome,
  preconditionFailed,
} from '../fhir/index.ts';
import type { SearchParameters } from '../search/parameters.ts';
import { parseSearch } from '../search/parse.ts';
import { toStoreQuery } from '../search/to-store-query.ts';
import type { ParsedSearch } from '../search/query.ts';
import type { Store, StoredVersion, StoreOps } from '../store/store.ts';
import { historyBundle, searchsetBundle } from './bundles.ts';
import type { PreferReturn, RestContext, RestResult, WriteHooks } from './context.ts';
import { etag } from './etag.ts';
import { collectIncludes } from './includes.ts';
import { isServedType } from './resource-types.ts';

export interface FhirRestDeps {
  store: Store;
  parameters: SearchParameters;
  /** Validates against the base spec, the profiles the resource claims and any required ones. */
  validate: (resource: Resource) => OperationOutcome;
  hooks?: WriteHooks;
  newId?: () => string;
}

export interface WriteOptions {
  prefer?: PreferReturn;
  ifMatch?: string;
  ifNoneExist?: string;
  /** A server-assigned id decided earlier (transaction urn:uuid resolution). */
  assignedId?: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export class FhirRest {
  private readonly deps: FhirRestDeps;
  readonly newId: () => string;

  constructor(deps: FhirRestDeps) {
    this.deps = deps;
    this.newId = deps.newId ?? randomUUID;
  }

  async read(ctx: RestContext, type: string, id: string, reader: StoreOps = this.deps.store): Promise<RestResult> {
    checkType(type);
    const current = await reader.readResource(ctx.tenant, type as Resource['resourceType'], id);
    if (!current) {
      throw new OperationOutcomeError(notFound(`${type}/${safeId(id)} not found`));
    }
    if (current.deleted) {
      throw new OperationOutcomeError(gone(`${type}/${safeId(id)} was deleted`));
    }
    return versionResult(ctx, 200, current);
  }

  async vread(ctx: RestContext, type: string, id: string, versionId: string, reader: StoreOps = this.deps.store): Promise<RestResult> {
    checkType(type);
    const version = await reader.readVersion(ctx.tenant, type as Resource['resourceType'], id, versionId);
    if (!version) {
      throw new OperationOutcomeError(notFound(`${type}/${safeId(id)}/_history/${safeId(versionId)} not found`));
    }
    if (version.deleted) {
      throw new OperationOutcomeError(gone(`${type}/${safeId(id)} version ${safeId(versionId)} is a deletion`));
    }
    return versionResult(ctx, 200, version);
  }

  async create(ctx: RestContext, type: string, body: unknown, options: WriteOptions = {}, inTx?: StoreOps): Promise<RestResult> {
    const resource = this.checkBody(type, body);
    const id = options.assignedId ?? this.newId();
    const candidate = { ...resource, id } as Resource & { id: string };
    this.validateOrThrow(candidate);
    return this.inTransaction(inTx, async (tx) => {
      if (options.ifNoneExist) {
        // FHIR R4 http.html#ccreate: serialise on the criteria so parallel creates make one resource.
        const search = this.parseCriteria(ctx, type, options.ifNoneExist);
        await tx.lock(`conditional-create|${ctx.tenant}|${type}|${search.canonicalQuery.toString()}`);
        const matches = await tx.search(ctx.tenant, { ...toStoreQuery(search, this.deps.parameters), count: 2 });
        if (matches.versions.length > 1) {
          throw new OperationOutcomeError(multipleMatches('If-None-Exist matched more than one resource', 'If-None-Exist'));
        }
        if (matches.versions.length === 1) {
          return respond(ctx, 200, matches.versions[0], options.prefer, allOk);
        }
      }
      const version = await this.write(ctx, tx, 'create', undefined, candidate);
      return respond(ctx, 201, version, options.prefer, createdOk);
    });
  }

  async update(ctx: RestContext, type: string, id: string, body: unknown, options: WriteOptions = {}, inTx?: StoreOps): Promise<RestResult> {
    const resource = this.checkBody(type, body);
    if (!ID.test(id)) {
      throw new OperationOutcomeError(badRequest('The id in the URL is not a valid FHIR id', 'id'));
    }
    if (resource.id !== id) {
      throw new OperationOutcomeError(badRequest('The resource id must match the id in the URL (FHIR R4 http.html#update)', `${type}.id`));
    }
    const candidate = resource as Resource & { id: string };
    this.validateOrThrow(candidate);
    return this.inTransaction(inTx, async (tx) => {
      const before = await tx.readResource(ctx.tenant, type as Resource['resourceType'], id);
      if (options.ifMatch !== undefined && (!before || before.deleted || before.versionId !== options.ifMatch)) {
        throw new OperationOutcomeError(preconditionFailed(`Version conflict: ${type}/${safeId(id)} is not at version ${safeId(options.ifMatch)}`, 'If-Match'));
      }
      const live = before && !before.deleted ? before.resource : undefined;
      const version = await this.write(ctx, tx, live ? 'update' : 'create', live, candidate, options.ifMatch);
      return respond(ctx, live ? 200 : 201, version, options.prefer, live ? allOk : createdOk);
    });
  }

  /** FHIR R4 http.html#cond-update: PUT Type?criteria. */
  async conditionalUpdate(ctx: RestContext, type: string, criteria: URLSearchParams, body: unknown, options: WriteOptions = {}, inTx?: StoreOps): Promise<RestResult> {
    const resource = this.checkBody(type, body);
    const search = this.parseCriteria(ctx, type, criteria.toString());
    return this.inTransaction(inTx, async (tx) => {
      await tx.lock(`conditional-update|${ctx.tenant}|${type}|${search.canonicalQuery.toString()}`);
      const matches = await tx.search(ctx.tenant, { ...toStoreQuery(search, this.deps.parameters), count: 2 });
      if (matches.versions.length > 1) {
        throw new OperationOutcomeError(multipleMatches('The criteria matched more than one resource', type));
      }
      const match = matches.versions[0];
      if (match && resource.id !== undefined && resource.id !== match.id) {
        throw new OperationOutcomeError(badRequest('The resource id does not match the resource the criteria found', `${type}.id`));
      }
      const candidate = { ...resource, id: match?.id ?? resource.id ?? this.newId() } as Resource & { id: string };
      this.validateOrThrow(candidate);
      const version = await this.write(ctx, tx, match ? 'update' : 'create', match?.resource, candidate, options.ifMatch);
      return respond(ctx, match ? 200 : 201, version, options.prefer, match ? allOk : createdOk);
    });
  }

  async delete(ctx: RestContext, type: string, id: string, inTx?: StoreOps): Promise<RestResult> {
    checkType(type);
    return this.inTransaction(inTx, async (tx) => {
      const before = await tx.readResource(ctx.tenant, type as Resource['resourceType'], id);
      if (!before || before.deleted) {
        // FHIR R4 http.html#delete: deleting a missing resource is not an error.
        return { status: 204, headers: {} };
      }
      const issues = (await this.deps.hooks?.check?.({ ctx, interaction: 'delete', before: before.resource, tx })) ?? [];
      if (hasErrors(issues)) {
        throw new OperationOutcomeError(outcome('unprocessable', issues));
      }
      const version = await tx.deleteResource(ctx.tenant, type, id);
      if (version) {
        await this.deps.hooks?.afterWrite?.({ ctx, interaction: 'delete', before: before.resource, tx, version });
      }
      const headers: Record<string, string> = version ? { ETag: etag(version.versionId) } : {};
      return { status: 204, headers };
    });
  }

  async history(ctx: RestContext, type: string, id: string | undefined, params: URLSearchParams, self: URL): Promise<RestResult> {
    checkType(type);
    const count = Math.min(Number(params.get('_count') ?? 50) || 50, 1000);
    const offset = Math.max(Number(params.get('_offset') ?? 0) || 0, 0);
    const since = params.get('_since') ?? undefined;
    if (since !== undefined && Number.isNaN(Date.parse(since))) {
      throw new OperationOutcomeError(badRequest('_since must be an instant', '_since'));
    }
    if (id !== undefined) {
      const current = await this.deps.store.readResource(ctx.tenant, type as Resource['resourceType'], id);
      if (!current) {
        throw new OperationOutcomeError(notFound(`${type}/${safeId(id)} not found`));
      }
    }
    const versions = await this.deps.store.readHistory(ctx.tenant, type, id, { since: since ? new Date(since).toISOString() : undefined, count: count + 1, offset });
    let next: URL | undefined;
    if (versions.length > count) {
      versions.length = count;
      next = new URL(self);
      next.searchParams.set('_offset', String(offset + count));
    }
    return { status: 200, resource: historyBundle(ctx.baseUrl, self, versions, next), headers: {} };
  }

  async search(ctx: RestContext, type: string, params: URLSearchParams, self: URL, reader: StoreOps = this.deps.store): Promise<RestResult> {
    checkType(type);
    const parsed = parseSearch(type, params, this.deps.parameters, { strict: ctx.strict, baseUrl: ctx.baseUrl });
    const result = await reader.search(ctx.tenant, toStoreQuery(parsed, this.deps.parameters));
    const includes = parsed.summaryCount ? [] : await collectIncludes(reader, ctx.tenant, this.deps.parameters, parsed, result.versions);
    const selfUrl = pageUrl(self, parsed);
    const nextUrl = result.next && !parsed.summaryCount ? pageUrl(self, parsed, result.next) : undefined;
    const bundle = searchsetBundle({
      baseUrl: ctx.baseUrl,
      self: selfUrl,
      next: nextUrl,
      matches: parsed.summaryCount ? [] : result.versions,
      includes,
      total: result.total,
      warnings: parsed.warnings,
    });
    return { status: 200, resource: bundle, headers: {} };
  }

  private inTransaction<T>(tx: StoreOps | undefined, fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return tx ? fn(tx) : this.deps.store.transaction(fn);
  }

  /** Writes one resource inside `tx`: workflow checks, store, after-write hooks. */
  async write(ctx: RestContext, tx: StoreOps, interaction: 'create' | 'update', before: Resource | undefined, after: Resource & { id: string }, ifMatch?: string): Promise<StoredVersion> {
    const issues = (await this.deps.hooks?.check?.({ ctx, interaction, before, after, tx })) ?? [];
    if (hasErrors(issues)) {
      throw new OperationOutcomeError(outcome('unprocessable', issues));
    }
    const stored = interaction === 'create' && !before ? await tx.createResource(ctx.tenant, stripMeta(after)) : (await tx.updateResource(ctx.tenant, stripMeta(after), { ifMatch })).version;
    await this.deps.hooks?.afterWrite?.({ ctx, interaction, before, after, tx, version: stored });
    return stored;
  }

  checkBody(type: string, body: unknown): Resource {
    checkType(type);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new OperationOutcomeError(badRequest('The body must be a FHIR resource (a JSON object)'));
    }
    const resourceType = (body as { resourceType?: unknown }).resourceType;
    if (resourceType !== type) {
      throw new OperationOutcomeError(badRequest(`The body's resourceType must be ${type}`, 'resourceType'));
    }
    return body as Resource;
  }

  validateOrThrow(resource: Resource): void {
    const result = this.deps.validate(resource);
    if (hasErrors(result)) {
      throw new OperationOutcomeError(outcome('unprocessable', result.issue));
    }
  }

  parseCriteria(ctx: RestContext, type: string, query: string): ParsedSearch {
    const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query.includes('?') ? query.slice(query.indexOf('?') + 1) : query);
    const parsed = parseSearch(type, params, this.deps.parameters, { strict: true, baseUrl: ctx.baseUrl });
    if (parsed.filters.length === 0) {
      throw new OperationOutcomeError(badRequest('Conditional criteria must hold at least one search parameter'));
    }
    return parsed;
  }
}

function checkType(type: string): void {
  if (!isServedType(type)) {
    throw new OperationOutcomeError(notFound(`Resource type '${type.slice(0, 64)}' is not served here`));
  }
}

/** Ids only appear in messages when they are syntactically FHIR ids (never free text). */
function safeId(id: string): string {
  return ID.test(id) ? id : '(invalid id)';
}

/** The store owns meta.versionId and meta.lastUpdated. */
function stripMeta<T extends Resource>(resource: T): T {
  if (!resource.meta) {
    return resource;
  }
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta;
  return { ...resource, meta: Object.keys(meta).length ? meta : undefined };
}

export function versionHeaders(ctx: RestContext, version: StoredVersion): Record<string, string> {
  return {
    ETag: etag(version.versionId),
    'Last-Modified': new Date(version.lastUpdated).toUTCString(),
    Location: new URL(`${version.resourceType}/${version.id}/_history/${version.versionId}`, ctx.baseUrl).toString(),
  };
}

function versionResult(ctx: RestContext, status: number, version: StoredVersion): RestResult {
  const headers = versionHeaders(ctx, version);
  delete headers.Location;
  return { status, resource: version.resource, headers };
}

/** FHIR R4 http.html#ops: Prefer: return=minimal | representation | OperationOutcome. */
function respond(ctx: RestContext, status: number, version: StoredVersion, prefer: PreferReturn | undefined, ok: OperationOutcome): RestResult {
  const headers = versionHeaders(ctx, version);
  if (prefer === 'minimal') {
    return { status, headers };
  }
  if (prefer === 'OperationOutcome') {
    return { status, resource: ok, headers };
  }
  return { status, resource: version.resource, headers };
}

function pageUrl(self: URL, parsed: ParsedSearch, cursor?: string): URL {
  const url = new URL(self.pathname, self);
  for (const [key, value] of parsed.canonicalQuery) {
    url.searchParams.append(key, value);
  }
  if (cursor) {
    url.searchParams.set('_cursor', cursor);
  }
  return url;
}

