// Output of a to-FHIR mapping as one FHIR transaction Bundle (FHIR R4 http.html#transaction):
// every resource has a derived id, so each entry is an idempotent PUT (update as create).
import type { Bundle, Resource } from '@medplum/fhirtypes';

export function transactionBundle(resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      fullUrl: `urn:uuid:${resource.id}`,
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
}

export function resourcesOf(bundle: Bundle): Resource[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}
