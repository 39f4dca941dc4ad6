// How the platform's copy of an EHR's Task remembers where it came from. Both are Meta.tag
// codings (FHIR R4 resource.html#Meta: tags are "not part of the content"), so they survive
// every write of the coordinator, which keeps tags and drops the rest of meta.
// - origin: `ehr:<connection>` (coordination/platform.ts), read by the coordinator to enqueue
//   outbox items for the EHR;
// - EHR version: `Task/<id>/_history/<versionId>` of the EHR version last taken in, the key
//   of deduplication on (id, versionId) and the EHR id the outbox pushes to.
import type { Coding, Resource } from '@medplum/fhirtypes';
import { ORIGIN_SYSTEM } from '../coordination/platform.ts';
import { deterministicId } from '../workflow/references.ts';

export const EHR_VERSION_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/CodeSystem/ehr-version';
/** Business identifier of outcome Procedures the gateway creates on an EHR (conditional create key). */
export const OUTCOME_ID_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/NamingSystem/outcome-id';

export interface EhrVersionKey {
  resourceType: string;
  id: string;
  versionId: string;
}

const VERSION_CODE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/([A-Za-z0-9\-.]{1,64})$/;

export function originCode(ehrName: string): string {
  return `ehr:${ehrName}`;
}

/** The platform id of the copy of an EHR resource: stable, and distinct per EHR connection. */
export function localIdOf(ehrName: string, resourceType: string, ehrId: string): string {
  return deterministicId('ehr', ehrName, resourceType, ehrId);
}

export function versionCode(key: EhrVersionKey): string {
  return `${key.resourceType}/${key.id}/_history/${key.versionId}`;
}

export function ehrVersionOf(resource: Resource | undefined): EhrVersionKey | undefined {
  const code = resource?.meta?.tag?.find((t) => t.system === EHR_VERSION_SYSTEM)?.code;
  const match = code ? VERSION_CODE.exec(code) : null;
  return match ? { resourceType: match[1], id: match[2], versionId: match[3] } : undefined;
}

export function originOf(resource: Resource | undefined): string | undefined {
  return resource?.meta?.tag?.find((t) => t.system === ORIGIN_SYSTEM)?.code;
}

/** The tags of a copy: every other tag kept, origin and EHR version set. */
export function syncTags(existing: readonly Coding[] | undefined, ehrName: string, key: EhrVersionKey): Coding[] {
  const others = (existing ?? []).filter((t) => t.system !== ORIGIN_SYSTEM && t.system !== EHR_VERSION_SYSTEM);
  return [...others, { system: ORIGIN_SYSTEM, code: originCode(ehrName) }, { system: EHR_VERSION_SYSTEM, code: versionCode(key) }];
}
