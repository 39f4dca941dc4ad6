// Express side of ../security/scope-filter.ts for partner credentials: refuses chained
// searches over types outside the scopes (403) before the request runs, and removes included
// resources the caller may not read from searchset answers before they leave.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Bundle } from '@medplum/fhirtypes';
import { OperationOutcomeError, forbidden } from '../fhir/index.ts';
import { filterIncluded, forbiddenChains } from '../security/scope-filter.ts';
import { parseScopes } from '../security/scopes.ts';

const MAX_FILTERED_BODY = 32 * 1024 * 1024;

export function scopeFilter(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const scopes = res.locals.scopes as string[] | undefined;
    if (!scopes) {
      next();
      return;
    }
    const grants = parseScopes(scopes);
    const url = new URL(req.originalUrl, 'http://localhost');
    const refused = forbiddenChains(url.searchParams.keys(), grants);
    if (refused.length) {
      throw new OperationOutcomeError(forbidden(`The credential's scopes do not allow searching ${refused.map((t) => (t === '*' ? 'an unnamed chained type (name it, e.g. subject:Patient.name)' : t)).join(', ')}`));
    }
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      const [chunk, ...rest] = args;
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
      if (res.statusCode !== 200 || res.headersSent || text === undefined || text.length > MAX_FILTERED_BODY || !text.startsWith('{"resourceType":"Bundle"')) {
        return end(...args);
      }
      const { bundle, removed } = filterIncluded(JSON.parse(text) as Bundle, grants);
      if (removed === 0) return end(...args);
      const filtered = JSON.stringify(bundle);
      res.setHeader('Content-Length', Buffer.byteLength(filtered));
      return end(filtered, ...rest.filter((a) => typeof a === 'function'));
    }) as Response['end'];
    next();
  };
}
