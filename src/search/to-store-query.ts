// ParsedSearch (what the URL says) -> SearchQuery (what the store executes).
import type { SearchFilter, SearchQuery, SortKey } from '../store/store.ts';
import type { SearchParameters } from './parameters.ts';
import type { Filter, ParsedSearch } from './query.ts';

type IndexKind = 'token' | 'reference' | 'string' | 'date' | 'number' | 'uri';

export function toStoreQuery(parsed: ParsedSearch, registry: SearchParameters): SearchQuery {
  return {
    resourceType: parsed.resourceType,
    filters: parsed.filters.map((f) => toFilter(f, parsed.resourceType, registry)),
    sort: parsed.sort.map((key): SortKey => {
      if (key.code === '_id' || key.code === '_lastUpdated') {
        return { param: key.code, descending: key.descending };
      }
      return { param: key.code, kind: kindOf(key.code, parsed.resourceType, registry), descending: key.descending };
    }),
    count: parsed.count,
    cursor: parsed.cursor,
    total: parsed.total,
    summaryCount: parsed.summaryCount,
  };
}

function kindOf(code: string, resourceType: string, registry: SearchParameters): IndexKind {
  if (code === '_profile') return 'uri';
  if (code === '_tag' || code === '_security') return 'token';
  const kind = registry.get(resourceType, code)?.kind;
  return kind === 'quantity' ? 'number' : (kind as IndexKind);
}

function toFilter(filter: Filter, resourceType: string, registry: SearchParameters): SearchFilter {
  const param = filter.code;
  if (filter.modifier === 'missing') {
    return { kind: 'missing', param, indexKind: kindOf(param, resourceType, registry), missing: filter.missing ?? true };
  }
  if (param === '_id') {
    return { kind: 'id', values: filter.values.flatMap((v) => (v.kind === 'token' && v.code ? [v.code] : [])) };
  }
  if (param === '_lastUpdated') {
    return { kind: 'lastUpdated', values: filter.values.flatMap((v) => (v.kind === 'date' ? [{ prefix: v.prefix, value: v.text }] : [])) };
  }
  const kind = kindOf(param, resourceType, registry);
  switch (kind) {
    case 'token':
      return { kind, param, not: filter.modifier === 'not' || undefined, values: filter.values.flatMap((v) => (v.kind === 'token' ? [{ system: v.system, code: v.code }] : [])) };
    case 'reference':
      return {
        kind,
        param,
        values: filter.values.flatMap((v) => (v.kind !== 'reference' ? [] : v.url ? [v.url] : v.type ? [`${v.type}/${v.id}`] : [v.id ?? ''])),
      };
    case 'date':
    case 'number':
      return { kind, param, values: filter.values.flatMap((v) => (v.kind === 'date' || v.kind === 'number' ? [{ prefix: v.prefix, value: v.text }] : [])) };
    case 'string':
      return {
        kind,
        param,
        modifier: filter.modifier === 'exact' || filter.modifier === 'contains' ? filter.modifier : undefined,
        values: filter.values.flatMap((v) => (v.kind === 'string' ? [v.value] : [])),
      };
    default:
      return { kind: 'uri', param, values: filter.values.flatMap((v) => (v.kind === 'uri' ? [v.value] : [])) };
  }
}
