// Bundles the API returns: searchset (FHIR R4 search.html#bundle) and history (http.html#history).
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { StoredVersion } from '../store/store.ts';
import { outcome } from '../fhir/index.ts';

export function fullUrl(baseUrl: string, resourceType: string, id: string): string {
  return new URL(`${resourceType}/${encodeURIComponent(id)}`, baseUrl).toString();
}

export function searchsetBundle(options: {
  baseUrl: string;
  self: URL;
  next?: URL;
  matches: StoredVersion[];
  includes: StoredVersion[];
  total?: number;
  warnings: OperationOutcomeIssue[];
}): Bundle {
  const entry: BundleEntry[] = options.matches.map((v) => ({
    fullUrl: fullUrl(options.baseUrl, v.resourceType, v.id),
    resource: v.resource,
    search: { mode: 'match' },
  }));
  const seen = new Set(options.matches.map((v) => `${v.resourceType}/${v.id}`));
  for (const v of options.includes) {
    const key = `${v.resourceType}/${v.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      entry.push({ fullUrl: fullUrl(options.baseUrl, v.resourceType, v.id), resource: v.resource, search: { mode: 'include' } });
    }
  }
  if (options.warnings.length) {
    entry.push({ resource: outcome('ok', options.warnings), search: { mode: 'outcome' } });
  }
  const link = [{ relation: 'self', url: options.self.toString() }];
  if (options.next) {
    link.push({ relation: 'next', url: options.next.toString() });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    meta: { lastUpdated: new Date().toISOString() },
    total: options.total,
    link,
    entry: entry.length ? entry : undefined,
  };
}

export function historyBundle(baseUrl: string, self: URL, versions: StoredVersion[], next?: URL): Bundle {
  const link = [{ relation: 'self', url: self.toString() }];
  if (next) {
    link.push({ relation: 'next', url: next.toString() });
  }
  return {
    resourceType: 'Bundle',
    type: 'history',
    meta: { lastUpdated: new Date().toISOString() },
    link,
    entry: versions.map((v, index) => ({
      fullUrl: fullUrl(baseUrl, v.resourceType, v.id),
      resource: v.deleted ? undefined : (v.resource as Resource),
      request: {
        method: v.deleted ? 'DELETE' : index >= 0 && v.versionId === '1' ? 'POST' : 'PUT',
        url: v.versionId === '1' && !v.deleted ? v.resourceType : `${v.resourceType}/${v.id}`,
      },
      response: { status: v.deleted ? '204' : v.versionId === '1' ? '201' : '200', etag: `W/"${v.versionId}"`, lastModified: v.lastUpdated },
    })),
  };
}
