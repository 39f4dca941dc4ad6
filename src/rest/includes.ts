// _include and _revinclude (FHIR R4 search.html#include), with one level of :iterate.
import type { SearchParameters } from '../search/parameters.ts';
import { referenceOf } from '../search/indexer.ts';
import type { IncludeSpec, ParsedSearch } from '../search/query.ts';
import type { StoreOps, StoredVersion } from '../store/store.ts';

const MAX_INCLUDED = 1000;

export async function collectIncludes(store: StoreOps, tenant: string, parameters: SearchParameters, parsed: ParsedSearch, matches: StoredVersion[]): Promise<StoredVersion[]> {
  if (matches.length === 0 || (parsed.include.length === 0 && parsed.revinclude.length === 0)) {
    return [];
  }
  const found: StoredVersion[] = [];
  let round = matches;
  for (let depth = 0; depth < 2 && round.length; depth++) {
    const added: StoredVersion[] = [];
    for (const spec of parsed.include.filter((s) => depth === 0 || s.iterate)) {
      added.push(...(await forward(store, tenant, parameters, spec, round)));
    }
    for (const spec of parsed.revinclude.filter((s) => depth === 0 || s.iterate)) {
      added.push(...(await reverse(store, tenant, spec, round)));
    }
    found.push(...added);
    round = added;
    if (found.length > MAX_INCLUDED) {
      return found.slice(0, MAX_INCLUDED);
    }
  }
  return found;
}

async function forward(store: StoreOps, tenant: string, parameters: SearchParameters, spec: IncludeSpec, from: StoredVersion[]): Promise<StoredVersion[]> {
  const param = parameters.get(spec.sourceType, spec.param);
  if (!param) {
    return [];
  }
  const references = new Set<string>();
  for (const version of from) {
    if (version.resourceType !== spec.sourceType) {
      continue;
    }
    for (const value of param.evaluate(version.resource)) {
      const ref = referenceOf(value);
      // Only references to this server (relative Type/id) can be included.
      if (ref && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref.value) && (!spec.targetType || ref.type === spec.targetType)) {
        references.add(ref.value);
      }
    }
  }
  return readByType(store, tenant, references);
}

/**
 * Reads `Type/id` references as one `_id` search per type (the primary key answers it). The
 * store's readMany ORs (type, id) pairs, which SQLite answers by scanning every resource of
 * the tenant: with 100,000 Tasks that made each `_include` cost over a second.
 */
async function readByType(store: StoreOps, tenant: string, references: Set<string>): Promise<StoredVersion[]> {
  const byType = new Map<string, string[]>();
  for (const reference of references) {
    const [type, id] = reference.split('/');
    byType.set(type, [...(byType.get(type) ?? []), id]);
  }
  const found: StoredVersion[] = [];
  for (const [resourceType, ids] of byType) {
    for (let start = 0; start < ids.length; start += MAX_INCLUDED) {
      const chunk = ids.slice(start, start + MAX_INCLUDED);
      const page = await store.search(tenant, { resourceType, filters: [{ kind: 'id', values: chunk }], count: chunk.length });
      found.push(...page.versions);
    }
  }
  return found;
}

async function reverse(store: StoreOps, tenant: string, spec: IncludeSpec, from: StoredVersion[]): Promise<StoredVersion[]> {
  const targets = from.filter((v) => !spec.targetType || v.resourceType === spec.targetType).map((v) => `${v.resourceType}/${v.id}`);
  if (targets.length === 0) {
    return [];
  }
  return store.findReferencing(tenant, { resourceType: spec.sourceType, param: spec.param, targets, limit: MAX_INCLUDED });
}
