// The HTTP implementation of EhrClient: FHIR R4 REST (http.html) over fetch, with the
// reliability rules of RELIABILITY.md (timeouts, bounded bodies, retries, no redirects,
// tokens for the EHR's origin only, same-origin paging, If-Match, conditional create).
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { executeCall, realCallDeps, type CallDeps, type CallResponse, type CallTarget } from './call-executor.ts';
import { ehrConfig, type EhrConfig, type EhrConfigInput } from './config.ts';
import type { BusinessIdentifier, CallOptions, ConditionalCreateResult, EhrClient, SearchPage, TransactionOptions } from './ehr-client.ts';
import { ehrFailure, type EhrOperation } from './failures.ts';
import type { RetryMode } from './retry-policy.ts';
import { smartBackendTokenProvider } from './token-provider.ts';

const FHIR_JSON = 'application/fhir+json';
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
/** FHIR R4 datatypes.html#id */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const JSON_MEDIA = /^application\/(fhir\+)?json$/;

export function createEhrClient(input: EhrConfigInput, deps: Partial<CallDeps> = {}): EhrClient {
  const config: EhrConfig = ehrConfig(input);
  const callDeps: CallDeps = { ...realCallDeps, ...deps };
  const base = new URL(config.baseUrl);
  const target: CallTarget = {
    origin: base.origin,
    tokens: config.auth.kind === 'smart-backend' ? smartBackendTokenProvider(config.auth, config, callDeps) : undefined,
  };
  const identifierLocks = new Map<string, Promise<unknown>>();

  function call(operation: EhrOperation, method: 'GET' | 'POST' | 'PUT', url: URL, mode: RetryMode, options: CallOptions | undefined, extra: { body?: Resource; headers?: Record<string, string> } = {}): Promise<CallResponse> {
    const headers: Record<string, string> = { accept: FHIR_JSON, ...extra.headers };
    if (extra.body) {
      headers['content-type'] = `${FHIR_JSON}; charset=utf-8`;
      // FHIR R4 http.html#ops: ask for the stored resource back.
      headers['prefer'] = 'return=representation';
    }
    return executeCall(config, target, callDeps, {
      operation,
      method,
      url,
      headers,
      body: extra.body ? JSON.stringify(extra.body) : undefined,
      mode,
      signal: options?.signal,
    });
  }

  /** A URL under the base for `Type` or `Type/id`, with both checked before use. */
  function resourceUrl(resourceType: string, id?: string): URL {
    if (!RESOURCE_TYPE.test(resourceType)) {
      throw new OperationOutcomeError(badRequest('Invalid resource type', 'resourceType'));
    }
    if (id === undefined) {
      return new URL(resourceType, base);
    }
    if (!FHIR_ID.test(id)) {
      throw new OperationOutcomeError(badRequest('Invalid resource id', `${resourceType}.id`));
    }
    return new URL(`${resourceType}/${id}`, base);
  }

  /** A paging link, accepted only inside the EHR's base URL (RELIABILITY.md, scenario 9). */
  function ownLink(link: string): URL {
    const url = URL.canParse(link, base) ? new URL(link, base) : undefined;
    if (!url || url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
      throw ehrFailure('search', { kind: 'foreign-link' });
    }
    return url;
  }

  async function withIdentifierLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    // RELIABILITY.md: conditional create is not atomic on several servers; serialise per identifier.
    const previous = identifierLocks.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    identifierLocks.set(key, settled);
    try {
      return await run;
    } finally {
      if (identifierLocks.get(key) === settled) {
        identifierLocks.delete(key);
      }
    }
  }

  return {
    async read<T extends Resource>(resourceType: T['resourceType'], id: string, options?: CallOptions): Promise<T> {
      const response = await call('read', 'GET', resourceUrl(resourceType, id), 'idempotent', options);
      return parseResource<T>('read', response, resourceType);
    },

    async *search<T extends Resource>(resourceType: T['resourceType'], params: URLSearchParams, options?: CallOptions): AsyncIterable<SearchPage<T>> {
      let url: URL | undefined = resourceUrl(resourceType);
      url.search = params.toString();
      const visited = new Set<string>();
      while (url) {
        if (visited.size >= config.maxPages || visited.has(url.href)) {
          throw ehrFailure('search', { kind: 'too-many-pages', limit: config.maxPages });
        }
        visited.add(url.href);
        const response = await call('search', 'GET', url, 'idempotent', options);
        const bundle = parseResource<Bundle<T>>('search', response, 'Bundle');
        const resources = (bundle.entry ?? [])
          .filter((e) => e.search?.mode === undefined || e.search.mode === 'match')
          .flatMap((e) => (e.resource?.resourceType === resourceType ? [e.resource] : []));
        yield { bundle, resources, serverTime: serverTime(bundle, response.headers) };
        const next = bundle.link?.find((l) => l.relation === 'next')?.url;
        url = next ? ownLink(next) : undefined;
      }
    },

    async create<T extends Resource>(resource: T, options?: CallOptions): Promise<T> {
      const response = await call('create', 'POST', resourceUrl(resource.resourceType), 'unsafe', options, { body: resource });
      return parseResource<T>('create', response, resource.resourceType);
    },

    async conditionalCreate<T extends Resource>(resource: T, identifier: BusinessIdentifier, options?: CallOptions): Promise<ConditionalCreateResult<T>> {
      const url = resourceUrl(resource.resourceType);
      const carried = (resource as { identifier?: BusinessIdentifier[] }).identifier ?? [];
      if (!carried.some((i) => i.system === identifier.system && i.value === identifier.value)) {
        throw new OperationOutcomeError(badRequest('The resource does not carry the business identifier', `${resource.resourceType}.identifier`));
      }
      // FHIR R4 http.html#ccreate; search.html#escaping for the token value.
      const ifNoneExist = new URLSearchParams({ identifier: `${escapeToken(identifier.system)}|${escapeToken(identifier.value)}` }).toString();
      return withIdentifierLock(`${resource.resourceType} ${ifNoneExist}`, async () => {
        const response = await call('conditionalCreate', 'POST', url, 'idempotent', options, { body: resource, headers: { 'if-none-exist': ifNoneExist } });
        return { resource: parseResource<T>('conditionalCreate', response, resource.resourceType), created: response.status === 201 };
      });
    },

    async update<T extends Resource>(resource: T, versionId: string, options?: CallOptions): Promise<T> {
      const url = resourceUrl(resource.resourceType, resource.id ?? '');
      const version = /^W\/"(.+)"$/.exec(versionId)?.[1] ?? versionId;
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(version)) {
        throw new OperationOutcomeError(badRequest('Invalid version for If-Match', `${resource.resourceType}.meta.versionId`));
      }
      // FHIR R4 http.html#concurrency: a weak ETag with the version the change was based on.
      const response = await call('update', 'PUT', url, 'idempotent', options, { body: resource, headers: { 'if-match': `W/"${version}"` } });
      return parseResource<T>('update', response, resource.resourceType);
    },

    async transaction(bundle: Bundle, options?: TransactionOptions): Promise<Bundle> {
      if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
        throw new OperationOutcomeError(badRequest('Bundle type must be transaction or batch', 'Bundle.type'));
      }
      const mode: RetryMode = options?.idempotent ? 'idempotent' : 'unsafe';
      const response = await call('transaction', 'POST', new URL(base), mode, options, { body: bundle });
      return parseResource<Bundle>('transaction', response, 'Bundle');
    },
  };
}

function parseResource<T extends Resource>(operation: EhrOperation, response: CallResponse, resourceType: string): T {
  const media = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!JSON_MEDIA.test(media)) {
    throw ehrFailure(operation, { kind: 'content-type', status: response.status });
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw ehrFailure(operation, { kind: 'unreadable', status: response.status });
  }
  if (typeof body !== 'object' || body === null || (body as Resource).resourceType !== resourceType) {
    throw ehrFailure(operation, { kind: 'unreadable', status: response.status });
  }
  return body as T;
}

function serverTime(bundle: Bundle, headers: Headers): string | undefined {
  if (bundle.meta?.lastUpdated && !Number.isNaN(Date.parse(bundle.meta.lastUpdated))) {
    return bundle.meta.lastUpdated;
  }
  const date = Date.parse(headers.get('date') ?? '');
  return Number.isNaN(date) ? undefined : new Date(date).toISOString();
}

/** FHIR R4 search.html#escaping: `\`, `,`, `$` and `|` inside a token part are escaped. */
function escapeToken(part: string): string {
  return part.replace(/[\\,$|]/g, (c) => `\\${c}`);
}
