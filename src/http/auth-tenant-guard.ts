// Writes by partners stay inside their tenant without revealing what other tenants hold
// (issue 8, Tenancy; RELIABILITY.md scenario 29). The store already confines every read and
// write to the caller's tenant, so a read of another tenant's id is a plain 404. A write by
// id would instead create a shadow copy in the caller's tenant (update-as-create, FHIR R4
// http.html#upsert), so partners may not create by PUT: a PUT or DELETE naming an id that is
// not live in the caller's own tenant is 403, whether or not the id exists elsewhere. Partners
// create with POST (server-assigned ids). Applies to batch and transaction entries too.
import express, { type Request, type Response } from 'express';
import type { Bundle } from '@medplum/fhirtypes';
import { OperationOutcomeError, forbidden } from '../fhir/index.ts';
import { forbiddenChains } from '../security/scope-filter.ts';
import { parseScopes } from '../security/scopes.ts';
import type { Store } from '../store/store.ts';
import type { HttpModule } from './app.ts';

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

interface Target {
  type: string;
  id: string;
  expression: string;
}

export function tenantWriteGuard(store: Store): HttpModule {
  const router = express.Router();
  router.use(async (req: Request, res: Response, next) => {
    const tenant = res.locals.tenant as string | undefined;
    if (!res.locals.partner || !tenant) {
      next();
      return;
    }
    // Chained searches inside bundles and in POST _search bodies (the URL is checked earlier).
    const chained = forbiddenChains(searchNamesOf(req), parseScopes((res.locals.scopes as string[] | undefined) ?? []));
    if (chained.length) {
      throw new OperationOutcomeError(forbidden(`The credential's scopes do not allow searching ${chained.join(', ')}`));
    }
    const targets = targetsOf(req);
    const refused: string[] = [];
    for (const target of targets) {
      const current = await store.readResource(tenant, target.type as 'Task', target.id);
      if (!current || current.deleted) {
        refused.push(target.expression);
      }
    }
    if (refused.length) {
      throw new OperationOutcomeError(forbidden('Partners may write only resources that already exist in their own tenant; create new ones with POST', refused));
    }
    next();
  });
  return { router };
}

function searchNamesOf(req: Request): string[] {
  const names: string[] = [];
  if (req.method === 'POST' && /\/_search$/.test(req.path) && req.body && typeof req.body === 'object') {
    names.push(...Object.keys(req.body as Record<string, unknown>));
  }
  const bundle = req.body as Bundle | undefined;
  if (req.path === '/' && req.method === 'POST' && bundle?.resourceType === 'Bundle' && Array.isArray(bundle.entry)) {
    for (const entry of bundle.entry) {
      const url = entry?.request?.url;
      if (typeof url === 'string' && url.includes('?')) {
        names.push(...new URL(url, 'http://localhost/').searchParams.keys());
      }
    }
  }
  return names;
}

function targetsOf(req: Request): Target[] {
  const url = new URL(req.originalUrl, 'http://localhost');
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length === 0 && req.method === 'POST') {
    const bundle = req.body as Bundle | undefined;
    if (!bundle || bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) return [];
    return bundle.entry.flatMap((entry, index) => {
      const method = entry?.request?.method;
      const entryUrl = typeof entry?.request?.url === 'string' ? new URL(entry.request.url, 'http://localhost/') : undefined;
      if (!entryUrl || (method !== 'PUT' && method !== 'DELETE' && method !== 'PATCH')) return [];
      return targetOf(entryUrl.pathname.split('/').filter(Boolean), entryUrl.search !== '', entry.resource, `Bundle.entry[${index}]`);
    });
  }
  if (req.method !== 'PUT' && req.method !== 'DELETE' && req.method !== 'PATCH') return [];
  return targetOf(segments, url.search !== '', req.body, '');
}

function targetOf(segments: string[], conditional: boolean, body: unknown, prefix: string): Target[] {
  const [type, id] = segments;
  if (!type || !TYPE.test(type)) return [];
  if (segments.length === 2 && id) {
    return [{ type, id: decodeURIComponent(id), expression: prefix ? `${prefix}.request.url` : type }];
  }
  // A conditional update that matches nothing creates; with an id in the body it would take that id.
  const bodyId = conditional && body && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
  if (segments.length === 1 && typeof bodyId === 'string') {
    return [{ type, id: bodyId, expression: prefix ? `${prefix}.resource.id` : `${type}.id` }];
  }
  return [];
}
