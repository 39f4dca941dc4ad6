// The reference EHR for integration tests and the demo: @medplum/fhir-router's FhirRouter
// and MemoryRepository (a FHIR server implementation no one here wrote) served over HTTP on
// loopback, with optional bearer-token checks (SMART Backend Services) and fault injection.
import { FhirRouter, MemoryRepository, type HttpMethod } from '@medplum/fhir-router';
import type { Resource, ResourceType } from '@medplum/fhirtypes';
import { Operator } from '@medplum/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Faults, retryAfterValue, type FaultAction } from './faults.ts';
import { answerFhir, type FhirExchange } from './reference-ehr-fhir.ts';
import { loadReferenceEhrDefinitions } from './reference-ehr-definitions.ts';

export type ReferenceEhrAuth =
  | { verify: (token: string) => Promise<boolean> }
  | { jwksUrl: string; audience: string; issuer?: string };

export interface ReferenceEhrOptions {
  port?: number;
  /** Path of the FHIR base, starting and ending with `/`; default `/fhir/`. */
  basePath?: string;
  /** When set, every request needs `Authorization: Bearer <token>` that passes this check. */
  auth?: ReferenceEhrAuth;
  defaultPageSize?: number;
  maxPageSize?: number;
  maxRequestBytes?: number;
  /** Entries kept in `requests`; the oldest are dropped beyond it (long demo runs). */
  requestLogLimit?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Path and query, relative to the origin. */
  path: string;
  authorization: boolean;
  /** Arrival time (ms since epoch, this machine's clock). */
  at: number;
  status?: number;
  respondedAt?: number;
  retryAfter?: string;
  /** When the Retry-After value was computed: the earliest moment a client could have seen it. */
  retryAfterIssuedAt?: number;
}

export interface ReferenceEhr {
  /** The FHIR base URL, ending in `/`. */
  baseUrl: string;
  origin: string;
  repo: MemoryRepository;
  router: FhirRouter;
  faults: Faults;
  requests: RequestLogEntry[];
  /** How many resources of this type carry the identifier (for duplicate counts). */
  countByIdentifier(resourceType: ResourceType, system: string, value: string): Promise<number>;
  close(): Promise<void>;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const HTTP_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function isHttpMethod(method: string): method is HttpMethod {
  return HTTP_METHODS.has(method);
}

export async function startReferenceEhr(options: ReferenceEhrOptions = {}): Promise<ReferenceEhr> {
  loadReferenceEhrDefinitions();
  const basePath = options.basePath ?? '/fhir/';
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const faults = new Faults();
  const requests: RequestLogEntry[] = [];
  const checkToken = tokenChecker(options.auth);
  const settings = {
    defaultPageSize: options.defaultPageSize ?? 50,
    maxPageSize: options.maxPageSize ?? 500,
    maxRequestBytes: options.maxRequestBytes ?? 20 * 1024 * 1024,
  };
  const logLimit = options.requestLogLimit ?? 100_000;
  let baseUrl = '';

  const server = createServer((req, res) => {
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization !== undefined,
      at: Date.now(),
    };
    requests.push(entry);
    if (requests.length > logLimit) {
      requests.splice(0, requests.length - logLimit);
    }
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.respondedAt = Date.now();
    });
    handle(req, res, entry).catch(() => {
      if (!res.headersSent) {
        sendJson(res, 500, problem('exception', 'Reference EHR internal error'), {}, 0);
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry): Promise<void> {
    const url = new URL(entry.path, baseUrl);
    const action = faults.take(entry.method, url.pathname + url.search);
    if (action?.kind === 'latency') {
      await sleep(action.ms);
    }
    if (action && answerFault(action, res, entry)) {
      return;
    }
    const skew = action?.kind === 'clock-skew' ? action.ms : 0;
    if (!url.pathname.startsWith(basePath) && url.pathname !== basePath.slice(0, -1)) {
      sendJson(res, 404, problem('not-found', 'Not found'), {}, skew);
      return;
    }
    const method = entry.method;
    if (!isHttpMethod(method)) {
      sendJson(res, 405, problem('not-supported', 'Method not allowed'), {}, skew);
      return;
    }
    if (!(await checkToken(req.headers.authorization))) {
      // RFC 6750 §3: a missing or bad token gets 401 with a WWW-Authenticate challenge.
      sendJson(res, 401, problem('login', 'Unauthorized'), { 'www-authenticate': 'Bearer error="invalid_token"' }, skew);
      return;
    }
    const body = await readBody(req, method, settings.maxRequestBytes);
    if (body.error) {
      sendJson(res, body.error.status, problem(body.error.code, body.error.text), {}, skew);
      return;
    }
    const exchange = await answerFhir(router, repo, {
      method,
      relative: url,
      baseUrl,
      body: body.value,
      headers: req.headers,
      now: Date.now() + skew,
      ...settings,
    });
    if (action?.kind === 'commit-then-hang') {
      // The write is committed; the answer never comes (or comes after the client gave up).
      if (action.delayMs === undefined) {
        return;
      }
      await sleep(action.delayMs);
      if (res.destroyed) {
        return;
      }
    }
    if (action?.kind === 'foreign-next') {
      pointNextElsewhere(exchange, action.origin);
    }
    sendJson(res, exchange.status, exchange.body, exchange.headers, skew);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  baseUrl = new URL(basePath, origin).href;

  return {
    baseUrl,
    origin,
    repo,
    router,
    faults,
    requests,
    async countByIdentifier(resourceType, system, value) {
      const found = await repo.searchResources({
        resourceType,
        filters: [{ code: 'identifier', operator: Operator.EQUALS, value: `${system}|${value}` }],
      });
      return found.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers the request for faults that replace the server's answer; false otherwise. */
function answerFault(action: FaultAction, res: ServerResponse, entry: RequestLogEntry): boolean {
  switch (action.kind) {
    case 'status':
      sendJson(res, action.status, (action.body as Resource | undefined) ?? problem('transient', 'Injected failure'), action.headers ?? {}, 0);
      return true;
    case 'retry-after': {
      const status = action.status ?? 429;
      entry.retryAfterIssuedAt = Date.now();
      entry.retryAfter = retryAfterValue(action.seconds, action.format, entry.retryAfterIssuedAt);
      const headers = { 'retry-after': entry.retryAfter };
      sendJson(res, status, problem('throttled', 'Try again later'), headers, 0);
      return true;
    }
    case 'conflict':
      sendJson(res, action.status, problem('conflict', 'Version conflict'), {}, 0);
      return true;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in</form></body></html>');
      return true;
    case 'redirect':
      res.writeHead(action.status ?? 302, { location: action.location, 'content-type': 'text/plain' });
      res.end('Moved');
      return true;
    case 'huge-body':
      streamHugeBody(res, action.bytes);
      return true;
    default:
      return false;
  }
}

/** Streams `bytes` of a JSON Bundle that never closes, respecting backpressure. */
function streamHugeBody(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': FHIR_JSON });
  const chunk = Buffer.from('{"resourceType":"Basic","code":{"text":"padding padding padding"}},'.repeat(1024));
  let sent = 0;
  res.write('{"resourceType":"Bundle","type":"searchset","entry":[');
  const pump = (): void => {
    while (sent < bytes && !res.destroyed) {
      const piece = sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent);
      sent += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) {
      res.end();
    }
  };
  pump();
}

function pointNextElsewhere(exchange: FhirExchange, origin: string): void {
  const body = exchange.body;
  if (body.resourceType !== 'Bundle') {
    return;
  }
  for (const link of body.link ?? []) {
    if (link.relation === 'next' && link.url) {
      const foreign = new URL(origin);
      const url = new URL(link.url);
      url.protocol = foreign.protocol;
      url.host = foreign.host;
      link.url = url.href;
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: Resource, headers: Record<string, string>, skewMs: number): void {
  res.writeHead(status, {
    ...headers,
    'content-type': FHIR_JSON,
    // RFC 9110 §6.6.1: the origin's clock, which cursor logic takes as the server's time.
    date: new Date(Date.now() + skewMs).toUTCString(),
  });
  res.end(JSON.stringify(body));
}

function problem(code: 'not-found' | 'not-supported' | 'login' | 'transient' | 'throttled' | 'conflict' | 'invalid' | 'too-long' | 'exception', text: string): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

interface BodyResult {
  value?: unknown;
  error?: { status: number; code: 'invalid' | 'not-supported' | 'too-long'; text: string };
}

async function readBody(req: IncomingMessage, method: string, maxBytes: number): Promise<BodyResult> {
  if (method === 'GET' || method === 'DELETE') {
    req.resume();
    return {};
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!['application/fhir+json', 'application/json', 'application/json-patch+json'].includes(type)) {
    req.resume();
    return { error: { status: 415, code: 'not-supported', text: 'Unsupported media type' } };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      return { error: { status: 413, code: 'too-long', text: 'Request body too large' } };
    }
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { error: { status: 400, code: 'invalid', text: 'Malformed JSON' } };
  }
}

function tokenChecker(auth: ReferenceEhrAuth | undefined): (header: string | undefined) => Promise<boolean> {
  if (!auth) {
    return async () => true;
  }
  const verify =
    'verify' in auth
      ? auth.verify
      : (() => {
          const keys = createRemoteJWKSet(new URL(auth.jwksUrl));
          return async (token: string): Promise<boolean> => {
            try {
              await jwtVerify(token, keys, { audience: auth.audience, issuer: auth.issuer });
              return true;
            } catch {
              return false;
            }
          };
        })();
  return async (header) => {
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header ?? '');
    return match ? verify(match[1]) : false;
  };
}
