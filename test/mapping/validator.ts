// The validator the mapping tests use: the conformance engine with the SDOHCC and US Core
// packages (through packagesDir()) and the project's profiles/. Without the packages (only
// outside CI, where packagesDir() throws instead) it falls back to the base-structure
// check, and the golden suite's "runs profile validation" test fails to say so.
import { createConformance } from '../../src/conformance/index.ts';
import { createStructuralValidator } from '../../src/mapping/index.ts';
import type { ResourceValidator } from '../../src/mapping/index.ts';
import { packagesDir } from '../support/packages-dir.ts';

export interface TestValidator {
  validator: ResourceValidator;
  kind: 'profiles' | 'structure';
}

export async function testValidator(): Promise<TestValidator> {
  const dir = packagesDir();
  if (!dir) return { kind: 'structure', validator: createStructuralValidator() };
  const conformance = await createConformance({ packagesDir: dir });
  return { kind: 'profiles', validator: (resource, profiles) => conformance.validate(resource, { profiles }) };
}
