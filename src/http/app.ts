// The Express app, built in one function and listened on elsewhere (main.ts), so tests run it
// in-process. Express stays in http/; handlers throw OperationOutcomeError and one error
// handler answers with an OperationOutcome.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, methodNotAllowed, normalize, notFound, statusOf, unavailable } from '../fhir/index.ts';
import { errorShape, pathShape, type Logger } from '../logging/logger.ts';
import { bodyParser, type BodyLimits } from './body.ts';
import { buildCapabilityStatement, type Capabilities } from './capabilities.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface HttpModule {
  /** Mounted at the root, in the order given. */
  router: Router;
  capabilities?: Capabilities;
}

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface AppOptions {
  logger: Logger;
  limits: BodyLimits;
  /** Base URL clients use; links and the CapabilityStatement are built from it. */
  baseUrl: string;
  version: string;
  readiness: ReadinessCheck[];
  modules: HttpModule[];
  /** Run after the request id is set and before the body is read (audit, authentication, rate limits). */
  before?: RequestHandler[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', simpleQuery);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      options.logger.info({ reqId: id, method: req.method, path: pathShape(req.originalUrl), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  });

  for (const handler of options.before ?? []) {
    app.use(handler);
  }
  app.use(bodyParser(options.limits));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'pass' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    const failing: string[] = [];
    for (const { name, check } of options.readiness) {
      try {
        await check();
        checks[name] = 'pass';
      } catch {
        checks[name] = 'fail';
        failing.push(name);
      }
    }
    if (failing.length) {
      throw new OperationOutcomeError(unavailable(`Not ready: ${failing.join(', ')} failing`));
    }
    res.json({ status: 'pass', checks });
  });

  const statement = buildCapabilityStatement(
    options.modules.map((m) => m.capabilities ?? {}),
    { baseUrl: options.baseUrl, version: options.version, date: new Date().toISOString() },
  );
  app.get('/metadata', (_req, res) => {
    sendResource(res, 200, statement);
  });
  app.all('/metadata', () => {
    throw new OperationOutcomeError(methodNotAllowed('Only GET is allowed on /metadata'));
  });

  for (const module of options.modules) {
    app.use(module.router);
  }

  app.use((req: Request) => {
    throw new OperationOutcomeError(notFound(`No route for ${req.method} ${pathShape(req.path)}`));
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const outcome = toOutcome(error);
    const status = statusOf(outcome);
    if (status >= 500) {
      options.logger.error({ reqId: res.locals.requestId, err: errorShape(error) }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (status === 413) {
      res.setHeader('Connection', 'close');
    }
    sendResource(res, status, outcome);
  });

  return app;
}

/** Errors raised by Express itself (bad URL encoding, ...) carry a 4xx status but no outcome. */
function toOutcome(error: unknown) {
  const status = (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  if (!(error instanceof OperationOutcomeError) && typeof status === 'number' && status >= 400 && status < 500) {
    return badRequest('The request could not be understood');
  }
  return normalize(error);
}

export function sendResource(res: Response, status: number, resource: Resource): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(resource));
}

/** Query strings as plain string or string[] values; no nested objects (qs-style a[b]=c). */
function simpleQuery(query: string | null | undefined): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  // Express hands the parser null when the URL has no query string; URLSearchParams(null) would read "null".
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    const existing = result[key];
    if (existing === undefined) {
      result[key] = value;
    } else if (Array.isArray(existing)) {
      existing.push(value);
    } else {
      result[key] = [existing, value];
    }
  }
  return result;
}
