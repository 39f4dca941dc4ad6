// The CapabilityStatement is generated from what the HTTP modules register, never written by
// hand (FHIR R4 capabilitystatement.html). A module lists what it implements; /metadata merges.
import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceOperation, CapabilityStatementRestResourceSearchParam } from '@medplum/fhirtypes';

export type TypeInteraction = 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type';
export type SystemInteraction = 'transaction' | 'batch' | 'search-system' | 'history-system';

export interface ResourceCapability {
  type: string;
  interactions: TypeInteraction[];
  searchParams?: CapabilityStatementRestResourceSearchParam[];
  supportedProfiles?: string[];
  operations?: CapabilityStatementRestResourceOperation[];
  conditionalCreate?: boolean;
  conditionalUpdate?: boolean;
  versioning?: 'no-version' | 'versioned' | 'versioned-update';
}

export interface Capabilities {
  resources?: ResourceCapability[];
  interactions?: SystemInteraction[];
  operations?: CapabilityStatementRestResourceOperation[];
}

export interface StatementInfo {
  baseUrl: string;
  version: string;
  date: string;
}

export function buildCapabilityStatement(parts: Capabilities[], info: StatementInfo): CapabilityStatement {
  const byType = new Map<string, ResourceCapability>();
  for (const part of parts) {
    for (const r of part.resources ?? []) {
      byType.set(r.type, merge(byType.get(r.type), r));
    }
  }
  const resources: CapabilityStatementRestResource[] = [...byType.values()]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((r) => ({
      type: r.type as CapabilityStatementRestResource['type'],
      supportedProfile: r.supportedProfiles?.length ? [...new Set(r.supportedProfiles)].sort() : undefined,
      interaction: unique(r.interactions).map((code) => ({ code })),
      versioning: r.versioning,
      conditionalCreate: r.conditionalCreate,
      conditionalUpdate: r.conditionalUpdate,
      searchParam: r.searchParams?.length ? r.searchParams : undefined,
      operation: r.operations?.length ? r.operations : undefined,
    }));
  const interactions = unique(parts.flatMap((p) => p.interactions ?? []));
  const operations = parts.flatMap((p) => p.operations ?? []);
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: info.date,
    kind: 'instance',
    software: { name: 'Social-care referral gateway', version: info.version },
    implementation: { description: 'Coordination-platform gateway for closed-loop social-care referrals', url: info.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    instantiates: resources.length ? ['http://hl7.org/fhir/us/sdoh-clinicalcare/CapabilityStatement/SDOHCC-CoordinationPlatform'] : undefined,
    rest: [
      {
        mode: 'server',
        resource: resources.length ? resources : undefined,
        interaction: interactions.length ? interactions.map((code) => ({ code })) : undefined,
        operation: operations.length ? operations : undefined,
      },
    ],
  };
}

function merge(a: ResourceCapability | undefined, b: ResourceCapability): ResourceCapability {
  if (!a) {
    return { ...b };
  }
  return {
    ...a,
    ...b,
    interactions: unique([...a.interactions, ...b.interactions]),
    searchParams: [...(a.searchParams ?? []), ...(b.searchParams ?? [])],
    supportedProfiles: [...(a.supportedProfiles ?? []), ...(b.supportedProfiles ?? [])],
    operations: [...(a.operations ?? []), ...(b.operations ?? [])],
  };
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
