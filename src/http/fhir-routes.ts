// Express adapter for the FHIR REST interactions (src/rest): headers in, RestResult out.
import express, { type Request, type Response } from 'express';
import type { CapabilityStatementRestResourceSearchParam } from '@medplum/fhirtypes';
import type { PreferReturn, RestContext, RestResult } from '../rest/context.ts';
import { dispatch } from '../rest/dispatch.ts';
import { versionFromIfMatch } from '../rest/etag.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import { processBundle } from '../rest/batch.ts';
import { INTERACTIONS, SERVED_TYPES } from '../rest/resource-types.ts';
import type { SearchParameters } from '../search/parameters.ts';
import type { Store } from '../store/store.ts';
import { FHIR_JSON, type HttpModule } from './app.ts';
import type { Capabilities } from './capabilities.ts';

export interface FhirRoutesOptions {
  rest: FhirRest;
  store: Store;
  parameters: SearchParameters;
  baseUrl: string;
  /** Profiles each type supports (listed in the CapabilityStatement). */
  supportedProfiles?: Record<string, string[]>;
}

/** The default tenant, used until the security layer assigns one per credential. */
export const DEFAULT_TENANT = 'default';

export function fhirModule(options: FhirRoutesOptions): HttpModule {
  const router = express.Router();
  const context = (req: Request, res: Response): RestContext => ({
    tenant: (res.locals.tenant as string | undefined) ?? DEFAULT_TENANT,
    baseUrl: options.baseUrl,
    strict: preferHandling(req) === 'strict',
    actor: res.locals.actor as string | undefined,
    authorize: res.locals.authorize as RestContext['authorize'],
  });

  router.post('/', async (req, res) => {
    send(req, res, await processBundle(options.rest, options.store, context(req, res), req.body, preferReturn(req)));
  });

  router.all(/^\/[A-Z][A-Za-z]{1,63}(?:\/.*)?$/, async (req, res) => {
    const url = new URL(req.originalUrl, 'http://localhost');
    const ifMatch = req.get('if-match');
    const result = await dispatch(options.rest, context(req, res), {
      method: req.method,
      path: url.pathname.slice(1),
      query: url.searchParams,
      body: req.body,
      ifMatch: ifMatch ? versionFromIfMatch(ifMatch) : undefined,
      ifNoneExist: req.get('if-none-exist') ?? undefined,
      prefer: preferReturn(req),
    });
    send(req, res, result);
  });

  return { router, capabilities: capabilities(options) };
}

function send(req: Request, res: Response, result: RestResult): void {
  for (const [name, value] of Object.entries(result.headers)) {
    res.setHeader(name, value);
  }
  res.status(result.status);
  if (!result.resource || req.method === 'HEAD') {
    res.end();
    return;
  }
  res.type(FHIR_JSON).send(JSON.stringify(result.resource));
}

/** RFC 7240 Prefer header, as FHIR R4 http.html#ops and search.html#errors use it. */
function preferValues(req: Request): Map<string, string> {
  const values = new Map<string, string>();
  for (const part of (req.get('prefer') ?? '').split(/[,;]/)) {
    const [key, value] = part.trim().split('=');
    if (key) {
      values.set(key.toLowerCase(), (value ?? '').replaceAll('"', ''));
    }
  }
  return values;
}

function preferReturn(req: Request): PreferReturn | undefined {
  const value = preferValues(req).get('return');
  return value === 'minimal' || value === 'representation' || value === 'OperationOutcome' ? value : undefined;
}

function preferHandling(req: Request): 'strict' | 'lenient' {
  return preferValues(req).get('handling') === 'strict' ? 'strict' : 'lenient';
}

function capabilities(options: FhirRoutesOptions): Capabilities {
  return {
    interactions: ['transaction', 'batch'],
    resources: SERVED_TYPES.map((type) => ({
      type,
      interactions: INTERACTIONS,
      versioning: 'versioned-update' as const,
      conditionalCreate: true,
      conditionalUpdate: true,
      supportedProfiles: options.supportedProfiles?.[type],
      searchParams: [
        { name: '_id', type: 'token' as const },
        { name: '_lastUpdated', type: 'date' as const },
        { name: '_profile', type: 'uri' as const },
        { name: '_tag', type: 'token' as const },
        ...options.parameters
          .forType(type)
          .filter((p) => p.kind !== 'composite' && p.kind !== 'special')
          .map((p): CapabilityStatementRestResourceSearchParam => ({ name: p.code, type: p.kind as CapabilityStatementRestResourceSearchParam['type'], definition: p.url })),
      ],
    })),
  };
}
