// placeholder replaced below
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ConformanceResource } from './bundle-index.ts';
import type { Definitions } from './definitions.ts';
export function loadOwnProfiles(_dir: string, _defs: Definitions): { resources: ConformanceResource[]; issues: OperationOutcomeIssue[] } {
  return { resources: [], issues: [] };
}
