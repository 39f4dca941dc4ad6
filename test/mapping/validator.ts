// The validator the mapping tests use: the conformance engine (profiles from the FHIR
// packages and profiles/) when this checkout has it and the packages are found, otherwise
// the base-structure check, and the tests say which one ran.
import { existsSync } from 'node:fs';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createStructuralValidator } from '../../src/mapping/index.ts';
import type { ResourceValidator } from '../../src/mapping/index.ts';
import { packagesDir } from '../support/packages-dir.ts';

export interface TestValidator {
  validator: ResourceValidator;
  kind: 'profiles' | 'structure';
}

type ConformanceModule = {
  createConformance?: (o: { packagesDir?: string }) => Promise<{ validate(r: unknown, o?: { profiles?: string[] }): OperationOutcome }>;
};

export async function testValidator(): Promise<TestValidator> {
  const entry = new URL('../../src/conformance/index.ts', import.meta.url);
  const dir = packagesDir();
  if (existsSync(entry) && dir) {
    const mod = (await import(entry.href)) as ConformanceModule;
    if (mod.createConformance) {
      const conformance = await mod.createConformance({ packagesDir: dir });
      return { kind: 'profiles', validator: (resource, profiles) => conformance.validate(resource, { profiles }) };
    }
  }
  return { kind: 'structure', validator: createStructuralValidator() };
}
