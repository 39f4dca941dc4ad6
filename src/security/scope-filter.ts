// Scopes reach past the searched type in two places the per-interaction `authorize` hook does
// not see (SMART App Launch 2.x scopes-and-launch-context.html: a scope grants access to the
// resources of its type only):
// - `_include`/`_revinclude` add resources of other types to a searchset: those the caller
//   may not read are removed from the answer (searchset entries with search.mode `include`);
// - chained (`subject:Patient.name`) and reverse-chained (`_has:Task:patient:status`)
//   parameters filter on other types: they need search access on each type they reach, and a
//   chain that does not name its target type needs search access on every type (`*`). Pure.
import type { Bundle } from '@medplum/fhirtypes';
import { allows, type Grant } from './scopes.ts';

/** The types a set of search parameter names reaches through chains and `_has`; `*` when unnamed. */
export function chainedTypes(names: Iterable<string>): string[] {
  const types = new Set<string>();
  for (const name of names) {
    if (name.startsWith('_has:')) {
      for (const match of name.matchAll(/_has:([A-Za-z]+):/g)) types.add(match[1]);
      continue;
    }
    const parts = name.split('.');
    for (const link of parts.slice(0, -1)) {
      const type = /:([A-Z][A-Za-z]+)$/.exec(link)?.[1];
      types.add(type ?? '*');
    }
  }
  return [...types];
}

/** The chained types the grants do not allow searching. */
export function forbiddenChains(names: Iterable<string>, grants: readonly Grant[]): string[] {
  return chainedTypes(names).filter((type) => !allows(grants, type, 's'));
}

/** The bundle without included resources the grants may not read (nested searchsets too). */
export function filterIncluded<T extends Bundle>(bundle: T, grants: readonly Grant[]): { bundle: T; removed: number } {
  let removed = 0;
  const entries = (bundle.entry ?? []).flatMap((entry) => {
    const resource = entry.resource;
    if (entry.search?.mode === 'include' && resource && !allows(grants, resource.resourceType, 'r')) {
      removed += 1;
      return [];
    }
    if (resource?.resourceType === 'Bundle') {
      const inner = filterIncluded(resource, grants);
      removed += inner.removed;
      return [{ ...entry, resource: inner.bundle }];
    }
    return [entry];
  });
  return { bundle: bundle.entry ? { ...bundle, entry: entries } : bundle, removed };
}
