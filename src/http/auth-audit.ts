// One AuditEvent per request (issue 8, Audit), written to the store's hash-chained trail
// BEFORE the response leaves: the middleware holds `res.end` until the append resolves, and if
// the append fails the client gets a 500 instead of an unaudited answer. Health, readiness and
// metrics probes touch no data and are not audited.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { serverError } from '../fhir/index.ts';
import { errorShape, pathShape, type Logger } from '../logging/logger.ts';
import { buildAuditEvent, classifyRequest, type AuditFacts } from '../security/audit-event.ts';
import type { StoreOps } from '../store/store.ts';
import { FHIR_JSON } from './app.ts';
import { isConsoleShell, principalOf } from './auth.ts';

const NOT_AUDITED = new Set(['/healthz', '/readyz', '/metrics']);
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_FIELDS = ['subject', 'for', 'patient', 'beneficiary'];
const MAX_PARSED_BODY = 1024 * 1024;

export function auditRequests(options: { store: Pick<StoreOps, 'appendAudit'>; logger: Logger; now?: () => number }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (NOT_AUDITED.has(req.path) || isConsoleShell(req.path)) {
      next();
      return;
    }
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let held = false;
    res.end = ((...args: unknown[]) => {
      if (held) {
        return end(...args);
      }
      held = true;
      let event: Resource;
      try {
        event = buildAuditEvent(factsOf(req, res, args[0], options.now?.() ?? Date.now()));
      } catch (error) {
        options.logger.error({ reqId: res.locals.requestId, err: errorShape(error) }, 'audit event could not be built');
        return failClosed(res, end);
      }
      const tenant = (res.locals.tenant as string | undefined) ?? (principalOf(res)?.kind === 'admin' ? 'admin' : 'anonymous');
      options.store.appendAudit(tenant, event).then(
        () => end(...args),
        (error: unknown) => {
          options.logger.error({ reqId: res.locals.requestId, err: errorShape(error) }, 'audit write failed; request answered 500');
          failClosed(res, end);
        },
      );
      return res;
    }) as Response['end'];
    next();
  };
}

function failClosed(res: Response, end: (...args: unknown[]) => Response): Response {
  if (res.headersSent) {
    return end();
  }
  for (const name of res.getHeaderNames()) {
    if (name !== 'x-request-id') res.removeHeader(name);
  }
  res.statusCode = 500;
  res.setHeader('Content-Type', FHIR_JSON);
  return end(JSON.stringify(serverError('The request could not be recorded in the audit trail')));
}

function factsOf(req: Request, res: Response, chunk: unknown, nowMs: number): AuditFacts {
  const url = new URL(req.originalUrl, 'http://localhost');
  const principal = principalOf(res);
  const segments = url.pathname.split('/').filter(Boolean);
  const isFhir = segments.length === 0 ? req.method === 'POST' : TYPE.test(segments[0]);
  const facts: AuditFacts = {
    recorded: new Date(nowMs).toISOString(),
    direction: 'inbound',
    interaction: 'operation',
    action: 'E',
    status: res.statusCode,
    who: principal?.kind === 'admin' ? 'admin' : principal?.partner?.organization,
    credentialId: principal?.credentialId,
    network: req.socket.remoteAddress,
    requestId: res.locals.requestId as string | undefined,
  };
  if (!isFhir) {
    facts.route = pathShape(url.pathname);
    return facts;
  }
  const { interaction, action } = classifyRequest(req.method, segments);
  facts.interaction = interaction;
  facts.action = action;
  const type = segments[0];
  let id = segments.length >= 2 && ID.test(segments[1]) && !segments[1].startsWith('_') ? segments[1] : undefined;
  if (!id && interaction === 'create') {
    id = /^(?:.*\/)?[A-Z][A-Za-z]+\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(String(res.getHeader('location') ?? ''))?.[1];
  }
  if (type && TYPE.test(type) && id) {
    facts.resource = `${type}/${id}`;
  }
  if (interaction.startsWith('search')) {
    const params = new URLSearchParams(url.search);
    if (req.body && typeof req.body === 'object' && res.locals.bodyKind === 'form') {
      for (const [key, value] of Object.entries(req.body as Record<string, string>)) params.append(key, String(value));
    }
    facts.query = params.toString();
    facts.patient = patientFromQuery(type, params);
  } else if (type === 'Patient' && id) {
    facts.patient = `Patient/${id}`;
  } else {
    facts.patient = patientIn(req.body) ?? (res.statusCode < 300 && (action === 'R' || action === 'C' || action === 'U') ? patientIn(parseChunk(chunk)) : undefined);
  }
  return facts;
}

function patientFromQuery(type: string, params: URLSearchParams): string | undefined {
  if (type === 'Patient' && params.get('_id')) return `Patient/${params.get('_id')!.split(',')[0]}`;
  const value = params.get('patient') ?? params.get('subject') ?? params.get('subject:Patient');
  if (!value) return undefined;
  const ref = value.startsWith('Patient/') ? value : `Patient/${value}`;
  return /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined;
}

function patientIn(resource: unknown): string | undefined {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) return undefined;
  const record = resource as Record<string, unknown>;
  if (record.resourceType === 'Patient' && typeof record.id === 'string') return `Patient/${record.id}`;
  for (const field of PATIENT_FIELDS) {
    const value = record[field] as { reference?: unknown } | undefined;
    if (value && typeof value.reference === 'string' && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(value.reference)) {
      return value.reference;
    }
  }
  return undefined;
}

function parseChunk(chunk: unknown): unknown {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
  if (!text || text.length > MAX_PARSED_BODY || text[0] !== '{') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
