// One FHIR request (method + relative URL + body) -> the interaction that answers it
// (FHIR R4 http.html#summary). Used by the HTTP adapter and by batch/transaction entries.
import { OperationOutcomeError, methodNotAllowed, notFound } from '../fhir/index.ts';
import type { StoreOps } from '../store/store.ts';
import type { Access, PreferReturn, RestContext, RestResult } from './context.ts';
import type { FhirRest } from './fhir-rest.ts';

export interface RestRequest {
  method: string;
  /** Relative to the FHIR base, without a leading slash: `Task`, `Task/1`, `Task/1/_history/2`. */
  path: string;
  query: URLSearchParams;
  body?: unknown;
  ifMatch?: string;
  ifNoneExist?: string;
  prefer?: PreferReturn;
  assignedId?: string;
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

export async function dispatch(rest: FhirRest, ctx: RestContext, req: RestRequest, tx?: StoreOps): Promise<RestResult> {
  const segments = req.path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [type, second, third, fourth] = segments;
  if (!type || !TYPE.test(type) || segments.length > 4) {
    throw new OperationOutcomeError(notFound('No FHIR interaction at this URL'));
  }
  const self = new URL(req.path, ctx.baseUrl);
  for (const [key, value] of req.query) {
    self.searchParams.append(key, value);
  }
  const method = req.method.toUpperCase();
  ctx.authorize?.(type, accessOf(method, segments));
  const options = { prefer: req.prefer, ifMatch: req.ifMatch, ifNoneExist: req.ifNoneExist, assignedId: req.assignedId };

  if (segments.length === 1) {
    if (method === 'GET' || method === 'HEAD') return rest.search(ctx, type, req.query, self, tx);
    if (method === 'POST') return rest.create(ctx, type, req.body, options, tx);
    if (method === 'PUT' && [...req.query.keys()].length) return rest.conditionalUpdate(ctx, type, req.query, req.body, options, tx);
    throw notAllowed(method, 'a resource type');
  }
  if (segments.length === 2 && second === '_search') {
    if (method !== 'POST') throw notAllowed(method, '_search');
    const params = new URLSearchParams(req.query);
    if (req.body && typeof req.body === 'object') {
      for (const [key, value] of Object.entries(req.body as Record<string, string>)) {
        params.append(key, String(value));
      }
    }
    return rest.search(ctx, type, params, new URL(type, ctx.baseUrl), tx);
  }
  if (segments.length === 2 && second === '_history') {
    if (method !== 'GET') throw notAllowed(method, 'a type history');
    return rest.history(ctx, type, undefined, req.query, self);
  }
  if (segments.length === 2) {
    if (method === 'GET' || method === 'HEAD') return rest.read(ctx, type, second, tx);
    if (method === 'PUT') return rest.update(ctx, type, second, req.body, options, tx);
    if (method === 'DELETE') return rest.delete(ctx, type, second, tx);
    throw notAllowed(method, 'a resource');
  }
  if (third === '_history') {
    if (method !== 'GET' && method !== 'HEAD') throw notAllowed(method, 'a history');
    return fourth === undefined ? rest.history(ctx, type, second, req.query, self) : rest.vread(ctx, type, second, fourth, tx);
  }
  throw new OperationOutcomeError(notFound('No FHIR interaction at this URL'));
}

function notAllowed(method: string, what: string): OperationOutcomeError {
  return new OperationOutcomeError(methodNotAllowed(`${method.slice(0, 10)} is not allowed on ${what}`));
}

/** The SMART v2 access a request needs (smart-app-launch scopes-and-launch-context.html). */
function accessOf(method: string, segments: string[]): Access {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return segments.length === 1 ? 's' : 'r';
    case 'POST':
      return segments[1] === '_search' ? 's' : 'c';
    case 'PUT':
    case 'PATCH':
      return 'u';
    case 'DELETE':
      return 'd';
    default:
      return 'r';
  }
}
