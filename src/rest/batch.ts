// Batch and transaction Bundles (FHIR R4 http.html#transaction). A transaction runs in one
// store transaction: urn:uuid references are resolved to the ids assigned, entries run in the
// order DELETE, POST, PUT/PATCH, GET, and any failure rolls everything back and answers with
// the failing entry's OperationOutcome. A batch runs each entry on its own.
import type { Bundle, BundleEntry, BundleEntryResponse, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, issue, normalize, statusOf } from '../fhir/index.ts';
import type { Store } from '../store/store.ts';
import type { PreferReturn, RestContext, RestResult } from './context.ts';
import { dispatch, type RestRequest } from './dispatch.ts';
import type { FhirRest } from './fhir-rest.ts';
import { versionFromIfMatch } from './etag.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
const MAX_ENTRIES = 1000;

export async function processBundle(rest: FhirRest, store: Store, ctx: RestContext, body: unknown, prefer?: PreferReturn): Promise<RestResult> {
  const bundle = checkBundle(body);
  const requests = bundle.entry?.map((entry, index) => toRequest(entry, index, prefer)) ?? [];
  if (bundle.type === 'batch') {
    const entries: BundleEntry[] = [];
    for (const request of requests) {
      entries.push(await runEntry(rest, ctx, request));
    }
    return { status: 200, resource: { resourceType: 'Bundle', type: 'batch-response', entry: entries }, headers: {} };
  }
  const resolved = resolveUuids(requests, () => rest.newId());
  const order = resolved.map((_, index) => index).sort((a, b) => ORDER[resolved[a].method] - ORDER[resolved[b].method] || a - b);
  const responses = await store.transaction(async (tx) => {
    const out: BundleEntry[] = new Array(resolved.length);
    for (const index of order) {
      try {
        out[index] = toEntry(await dispatch(rest, ctx, resolved[index], tx));
      } catch (error) {
        const failed = normalize(error);
        const at = issue('error', 'processing', `Transaction failed at entry ${index}; nothing was applied`, `Bundle.entry[${index}]`);
        throw new OperationOutcomeError({ ...failed, issue: [at, ...failed.issue.map((i) => prefixExpression(i, index))] });
      }
    }
    return out;
  });
  return { status: 200, resource: { resourceType: 'Bundle', type: 'transaction-response', entry: responses }, headers: {} };
}

function checkBundle(body: unknown): Bundle {
  const bundle = body as Bundle;
  if (typeof body !== 'object' || body === null || bundle.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(badRequest('POST to the base needs a batch or transaction Bundle', 'Bundle'));
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new OperationOutcomeError(badRequest('Bundle.type must be batch or transaction', 'Bundle.type'));
  }
  if ((bundle.entry?.length ?? 0) > MAX_ENTRIES) {
    throw new OperationOutcomeError(badRequest(`A Bundle may hold at most ${MAX_ENTRIES} entries`, 'Bundle.entry'));
  }
  return bundle;
}

interface EntryRequest extends RestRequest {
  index: number;
  fullUrl?: string;
}

function toRequest(entry: BundleEntry, index: number, prefer?: PreferReturn): EntryRequest {
  const method = entry.request?.method;
  const url = entry.request?.url;
  if (!method || !url) {
    throw new OperationOutcomeError(badRequest(`Bundle.entry[${index}].request needs method and url`, `Bundle.entry[${index}].request`));
  }
  if (/^[a-z]+:\/\//i.test(url)) {
    throw new OperationOutcomeError(badRequest(`Bundle.entry[${index}].request.url must be relative to this server`, `Bundle.entry[${index}].request.url`));
  }
  const [path, query = ''] = url.split('?', 2);
  return {
    index,
    fullUrl: entry.fullUrl,
    method,
    path: path.replace(/^\//, ''),
    query: new URLSearchParams(query),
    body: entry.resource,
    ifMatch: entry.request?.ifMatch ? versionFromIfMatch(entry.request.ifMatch) : undefined,
    ifNoneExist: entry.request?.ifNoneExist,
    prefer,
  };
}

/** http.html#trules: urn:uuid fullUrls of created resources become `Type/id` everywhere. */
function resolveUuids(requests: EntryRequest[], newId: () => string): EntryRequest[] {
  const map = new Map<string, string>();
  for (const request of requests) {
    if (!request.fullUrl?.startsWith('urn:uuid:')) {
      continue;
    }
    const type = request.path.split('/')[0];
    if (request.method === 'POST') {
      const id = newId();
      map.set(request.fullUrl, `${type}/${id}`);
      request.assignedId = id;
    } else if (request.method === 'PUT' && request.path.split('/').length === 2) {
      map.set(request.fullUrl, request.path);
    }
  }
  if (map.size === 0) {
    return requests;
  }
  return requests.map((request) => ({ ...request, body: request.body === undefined ? undefined : rewriteReferences(request.body as object, (ref) => map.get(ref) ?? ref) }));
}

async function runEntry(rest: FhirRest, ctx: RestContext, request: EntryRequest): Promise<BundleEntry> {
  try {
    return toEntry(await dispatch(rest, ctx, request));
  } catch (error) {
    const failed = normalize(error);
    return { response: { status: String(statusOf(failed)), outcome: failed } };
  }
}

function toEntry(result: RestResult): BundleEntry {
  const response: BundleEntryResponse = { status: String(result.status) };
  if (result.headers.Location) response.location = result.headers.Location;
  if (result.headers.ETag) response.etag = result.headers.ETag;
  if (result.headers['Last-Modified']) response.lastModified = new Date(result.headers['Last-Modified']).toISOString();
  const entry: BundleEntry = { response };
  if (result.resource) {
    if (result.resource.resourceType === 'OperationOutcome') {
      response.outcome = result.resource;
    } else {
      entry.resource = result.resource;
      if (result.resource.id) {
        entry.fullUrl = result.headers.Location?.replace(/\/_history\/[^/]+$/, '');
      }
    }
  }
  return entry;
}

function prefixExpression(i: OperationOutcomeIssue, index: number): OperationOutcomeIssue {
  return i.expression ? { ...i, expression: i.expression.map((e) => `Bundle.entry[${index}].resource.${e.replace(/^[A-Z][A-Za-z]+\./, '')}`) } : i;
}

