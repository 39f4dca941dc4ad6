// The definition index: StructureDefinitions, ValueSets and CodeSystems by canonical URL
// and version (FHIR R4 references.html#canonical: `url|version`). Package and project
// definitions come first, the R4 base last.
import type { CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import type { ConformanceResource } from './bundle-index.ts';
import type { ResourceEntry } from './packages.ts';
import type { DefinitionKind, R4Base } from './r4-base.ts';

export interface Definitions {
  structureDefinition(canonical: string): StructureDefinition | undefined;
  valueSet(canonical: string): ValueSet | undefined;
  codeSystem(canonical: string): CodeSystem | undefined;
  /** The base definition of a type or resource (`Reference`, `Task`, `string`). */
  typeDefinition(code: string): StructureDefinition | undefined;
}

export const CORE_SD = 'http://hl7.org/fhir/StructureDefinition/';

export function splitCanonical(canonical: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|');
  return bar < 0 ? { url: canonical } : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) };
}

/** A definition already in memory (the project's own) as an index entry. */
export function entryOf(r: ConformanceResource): ResourceEntry {
  return { resourceType: r.resourceType, url: r.url ?? '', version: r.version, load: () => r };
}

export function createDefinitions(base: R4Base, local: ResourceEntry[]): Definitions {
  const byKind = new Map<string, Map<string, ResourceEntry[]>>();
  for (const r of local) {
    if (!r.url) continue;
    let kind = byKind.get(r.resourceType);
    if (!kind) byKind.set(r.resourceType, (kind = new Map()));
    const list = kind.get(r.url) ?? [];
    list.push(r);
    kind.set(r.url, list);
  }
  const find = (kind: DefinitionKind, canonical: string): ConformanceResource | undefined => {
    const { url, version } = splitCanonical(canonical);
    const list = byKind.get(kind)?.get(url);
    // A versioned canonical whose version is not here falls back to the version that is:
    // definitions in a package are pinned to the versions it was built with, and the
    // terminology those versions hold rarely differs for validation purposes.
    if (list) return ((version && list.find((r) => r.version === version)) || list[list.length - 1]).load();
    return base.get(kind, url);
  };
  return {
    structureDefinition: (c) => find('StructureDefinition', c) as StructureDefinition | undefined,
    valueSet: (c) => find('ValueSet', c) as ValueSet | undefined,
    codeSystem: (c) => find('CodeSystem', c) as CodeSystem | undefined,
    typeDefinition: (code) => find('StructureDefinition', code.includes('/') ? code : CORE_SD + code) as StructureDefinition | undefined,
  };
}
