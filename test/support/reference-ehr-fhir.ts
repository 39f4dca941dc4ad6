// The thin HTTP side of the reference EHR: turns one HTTP request into a FhirRequest for
// @medplum/fhir-router, and the router's [outcome, resource] answer into status, headers
// and body. What the router leaves to the HTTP layer is added here, without faking
// results: ETag/Location/Last-Modified (FHIR R4 http.html#read, #create), absolute paging
// links and Bundle.meta.lastUpdated on searchsets (FHIR R4 http.html#paging, search.html#count).
import { getStatus } from '@medplum/core';
import type { FhirRequest, FhirRouter, HttpMethod, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import type { IncomingHttpHeaders } from 'node:http';

export interface FhirExchange {
  status: number;
  headers: Record<string, string>;
  body: Resource;
}

export interface FhirInput {
  method: HttpMethod;
  /** The request URL relative to the base URL, e.g. `Patient?identifier=x` or `` for the system. */
  relative: URL;
  baseUrl: string;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** This server's clock (possibly skewed), for Bundle.meta.lastUpdated. */
  now: number;
  defaultPageSize: number;
  maxPageSize: number;
}

const TYPE_LEVEL = /^[A-Z][A-Za-z]+$/;

export async function answerFhir(router: FhirRouter, repo: MemoryRepository, input: FhirInput): Promise<FhirExchange> {
  const base = new URL(input.baseUrl);
  const relativePath = input.relative.pathname.slice(base.pathname.length);
  const query = new URLSearchParams(input.relative.search);
  const isTypeSearch = input.method === 'GET' && TYPE_LEVEL.test(relativePath);
  if (isTypeSearch) {
    // FHIR R4 search.html#count: the server chooses the page size within its limits.
    const asked = Number.parseInt(query.get('_count') ?? '', 10);
    const count = Number.isFinite(asked) && asked >= 0 ? Math.min(asked, input.maxPageSize) : input.defaultPageSize;
    query.set('_count', String(count));
  }
  const search = query.toString();
  const request: FhirRequest = {
    method: input.method,
    url: search ? `${relativePath}?${search}` : relativePath,
    pathname: '',
    body: input.body,
    params: {},
    query: {},
    headers: input.headers,
  };
  const [result, resource] = await router.handleRequest(request, repo);
  const status = getStatus(result);
  const headers: Record<string, string> = {};
  if (!resource || status >= 400) {
    return { status, headers, body: result };
  }
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    decorateSearchset(resource, new URL(relativePath, base), query, input.now);
    return { status, headers, body: resource };
  }
  addVersionHeaders(resource, headers);
  if (status === 201 && resource.id) {
    // FHIR R4 http.html#create: Location carries the new id and version.
    const vid = resource.meta?.versionId;
    const location = new URL(`${resource.resourceType}/${resource.id}${vid ? `/_history/${vid}` : ''}`, base);
    headers['location'] = location.href;
  }
  return { status, headers, body: resource };
}

function addVersionHeaders(resource: Resource, headers: Record<string, string>): void {
  const meta = resource.meta;
  if (meta?.versionId) {
    // FHIR R4 http.html#versioning: weak ETag holding the versionId.
    headers['etag'] = `W/"${meta.versionId}"`;
  }
  if (meta?.lastUpdated) {
    headers['last-modified'] = new Date(meta.lastUpdated).toUTCString();
  }
}

/** Adds self/next links on this server's own origin and the time of the search. */
function decorateSearchset(bundle: Bundle, typeUrl: URL, query: URLSearchParams, now: number): void {
  bundle.meta = { ...bundle.meta, lastUpdated: new Date(now).toISOString() };
  const count = Number.parseInt(query.get('_count') ?? '0', 10);
  const offset = Number.parseInt(query.get('_offset') ?? '0', 10) || 0;
  const returned = bundle.entry?.filter((e) => e.search?.mode !== 'include').length ?? 0;
  const links: BundleLink[] = [{ relation: 'self', url: withQuery(typeUrl, query) }];
  const more = bundle.total !== undefined ? offset + returned < bundle.total : returned === count && count > 0;
  if (more && count > 0) {
    const next = new URLSearchParams(query);
    next.set('_offset', String(offset + count));
    links.push({ relation: 'next', url: withQuery(typeUrl, next) });
  }
  bundle.link = links;
}

function withQuery(url: URL, query: URLSearchParams): string {
  const result = new URL(url);
  result.search = query.toString();
  return result.href;
}

