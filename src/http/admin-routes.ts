// The admin API, behind the admin credential (checked in auth.ts for every /admin path):
// partners and their credentials (create, list, rotate by adding then revoking), dead letters
// and replay, the audit trail (AuditEvent?patient=&date=) and its verification. Keys and JWKS
// are validated here; an API key is shown once, in the answer that creates it.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, issue, notFound, outcome } from '../fhir/index.ts';
import { newApiKey } from '../security/api-keys.ts';
import { dateTest, searchAudit, verifyAuditChain } from '../security/audit-trail.ts';
import { parseScopes } from '../security/scopes.ts';
import { assertSafeUrl } from '../security/url-guard.ts';
import type { Credential, Partner, Store } from '../store/store.ts';
import { FHIR_JSON, type HttpModule } from './app.ts';
import { boundedInt, objectBody, param } from './request-input.ts';
import { replayDeadLetter } from '../sync/dead-letter-replay.ts';

export interface AdminRoutesOptions {
  store: Store;
  baseUrl: string;
  urlAllowList: readonly string[];
  now?: () => number;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ORGANIZATION = /^Organization\/[A-Za-z0-9\-.]{1,64}$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{3,128}$/;

export function adminModule(options: AdminRoutesOptions): HttpModule {
  const router = express.Router();
  const now = () => new Date(options.now?.() ?? Date.now()).toISOString();

  router.get('/admin/partners', async (_req, res) => {
    res.json({ partners: await options.store.listPartners() });
  });

  router.get('/admin/partners/:id', async (req, res) => {
    res.json(await partnerOr404(options.store, param(req, 'id')));
  });

  router.put('/admin/partners/:id', async (req, res) => {
    const id = param(req, 'id');
    const body = objectBody(req);
    const issues: OperationOutcomeIssue[] = [];
    if (!ID.test(id)) issues.push(issue('error', 'invalid', 'The partner id must be lower-case letters, digits and dashes', 'Partner.id'));
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200) issues.push(issue('error', 'required', 'name is required', 'Partner.name'));
    if (typeof body.organization !== 'string' || !ORGANIZATION.test(body.organization)) issues.push(issue('error', 'invalid', 'organization must be a reference like Organization/food-bank', 'Partner.organization'));
    if (typeof body.mapping !== 'string' || !ID.test(body.mapping)) issues.push(issue('error', 'required', 'mapping is required', 'Partner.mapping'));
    if (body.tenant !== undefined && (typeof body.tenant !== 'string' || !ID.test(body.tenant) || body.tenant === 'default' || body.tenant === 'platform')) {
      issues.push(issue('error', 'invalid', 'tenant must be lower-case letters, digits and dashes, and not default or platform', 'Partner.tenant'));
    }
    if (body.settings !== undefined && (typeof body.settings !== 'object' || body.settings === null || Array.isArray(body.settings))) {
      issues.push(issue('error', 'invalid', 'settings must be an object', 'Partner.settings'));
    }
    if (body.webhookUrl !== undefined) {
      if (typeof body.webhookUrl !== 'string') {
        issues.push(issue('error', 'invalid', 'webhookUrl must be a URL', 'Partner.webhookUrl'));
      } else {
        try {
          await assertSafeUrl(body.webhookUrl, options.urlAllowList);
        } catch (error) {
          issues.push(issue('error', 'security', error instanceof OperationOutcomeError ? (error.outcome.issue?.[0]?.details?.text ?? 'refused') : 'refused', 'Partner.webhookUrl'));
        }
      }
    }
    if (issues.length) throw new OperationOutcomeError(outcome('bad-request', issues));
    const existing = await options.store.getPartner(id);
    const partner: Partner = {
      id,
      tenant: (body.tenant as string | undefined) ?? existing?.tenant ?? id,
      name: (body.name as string).trim(),
      organization: body.organization as string,
      mapping: body.mapping as string,
      settings: (body.settings as Record<string, unknown> | undefined) ?? existing?.settings ?? {},
      createdAt: existing?.createdAt ?? now(),
      ...(typeof body.webhookUrl === 'string' ? { webhookUrl: body.webhookUrl } : {}),
    };
    await options.store.upsertPartner(partner);
    res.status(existing ? 200 : 201).json(partner);
  });

  router.get('/admin/partners/:id/credentials', async (req, res) => {
    const partner = await partnerOr404(options.store, param(req, 'id'));
    res.json({ credentials: (await options.store.listCredentials(partner.id)).map(publicView) });
  });

  router.post('/admin/partners/:id/credentials', async (req, res) => {
    const partner = await partnerOr404(options.store, param(req, 'id'));
    const body = objectBody(req);
    const issues: OperationOutcomeIssue[] = [];
    const scopes = Array.isArray(body.scopes) ? body.scopes.filter((s): s is string => typeof s === 'string') : [];
    if (scopes.length === 0 || scopes.length !== (body.scopes as unknown[]).length || parseScopes(scopes).length !== scopes.length) {
      issues.push(issue('error', 'invalid', 'scopes must be a non-empty list of SMART v2 system scopes, e.g. system/Task.rs', 'Credential.scopes'));
    }
    if (body.expiresAt !== undefined && (typeof body.expiresAt !== 'string' || Number.isNaN(Date.parse(body.expiresAt)))) {
      issues.push(issue('error', 'invalid', 'expiresAt must be an ISO instant', 'Credential.expiresAt'));
    }
    const base = { id: randomUUID(), partnerId: partner.id, scopes, createdAt: now(), ...(typeof body.expiresAt === 'string' ? { expiresAt: new Date(body.expiresAt).toISOString() } : {}) };
    if (body.kind === 'api-key') {
      if (issues.length) throw new OperationOutcomeError(outcome('bad-request', issues));
      const key = newApiKey();
      const credential: Credential = { ...base, kind: 'api-key', secretHash: key.secretHash, lookup: key.lookup };
      await options.store.addCredential(credential);
      res.status(201).json({ ...publicView(credential), key: key.key });
      return;
    }
    if (body.kind === 'jwks') {
      const clientId = body.clientId ?? partner.id;
      if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) issues.push(issue('error', 'invalid', 'clientId must be 3-128 letters, digits, dots, dashes or underscores', 'Credential.clientId'));
      issues.push(...jwksIssues(body.jwks));
      if (issues.length) throw new OperationOutcomeError(outcome('bad-request', issues));
      const credential: Credential = { ...base, kind: 'jwks', secretHash: JSON.stringify(body.jwks), lookup: clientId as string };
      await options.store.addCredential(credential);
      res.status(201).json(publicView(credential));
      return;
    }
    issues.push(issue('error', 'code-invalid', 'kind must be api-key or jwks', 'Credential.kind'));
    throw new OperationOutcomeError(outcome('bad-request', issues));
  });

  router.post('/admin/credentials/:id/revoke', async (req, res) => {
    if (!(await options.store.revokeCredential(param(req, 'id'), now()))) {
      throw new OperationOutcomeError(notFound('No such credential'));
    }
    res.json({ id: param(req, 'id'), revoked: true });
  });

  router.get('/admin/dead-letters', async (req, res) => {
    const limit = boundedInt(req.query._count, 100, 1000, '_count');
    const offset = boundedInt(req.query._offset, 0, 1_000_000, '_offset');
    res.json({ deadLetters: (await options.store.listDeadLetters({ limit, offset })).map(({ payload: _payload, ...rest }) => rest) });
  });

  router.post('/admin/dead-letters/:id/replay', async (req, res) => {
    const replayed = await replayDeadLetter(options.store, param(req, 'id'), {
      route: '/admin/dead-letters/:id/replay',
      nowMs: options.now?.() ?? Date.now(),
      network: req.socket.remoteAddress,
      requestId: res.locals.requestId as string | undefined,
    });
    if (!replayed) throw new OperationOutcomeError(notFound('No such dead letter'));
    res.status(202).json(replayed);
  });

  // FHIR R4 auditevent.html search parameters `patient` and `date`, served from the audit chain.
  router.get('/admin/AuditEvent', async (req, res) => {
    const dates = ([] as string[]).concat((req.query.date as string | string[] | undefined) ?? []);
    for (const value of dates) {
      try {
        dateTest(value);
      } catch {
        throw new OperationOutcomeError(badRequest('date must be YYYY, YYYY-MM or YYYY-MM-DD with an optional prefix ge, gt, le, lt, eq', 'AuditEvent.recorded'));
      }
    }
    const patient = typeof req.query.patient === 'string' ? req.query.patient : undefined;
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    const bundle = await searchAudit(options.store, { patient, date: dates, tenant, count: boundedInt(req.query._count, 100, 1000, '_count') }, options.baseUrl);
    res.status(200).type(FHIR_JSON).send(JSON.stringify(bundle));
  });

  router.get('/admin/audit/verify', async (_req, res) => {
    const result = await verifyAuditChain(options.store);
    res.status(result.brokenAt === undefined && result.gapAt === undefined ? 200 : 409).json({ intact: result.brokenAt === undefined && result.gapAt === undefined, ...result });
  });

  return { router };
}



async function partnerOr404(store: Store, id: string): Promise<Partner> {
  const partner = await store.getPartner(id);
  if (!partner) throw new OperationOutcomeError(notFound('No such partner'));
  return partner;
}

function publicView(credential: Credential): Omit<Credential, 'secretHash'> {
  const { secretHash: _secret, ...rest } = credential;
  return rest;
}


/** Public keys only (RFC 7517): each with a kid and kty RSA or EC, none with private parts. */
function jwksIssues(jwks: unknown): OperationOutcomeIssue[] {
  const keys = (jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 10) {
    return [issue('error', 'invalid', 'jwks must be a JWK Set with 1 to 10 keys', 'Credential.jwks.keys')];
  }
  const issues: OperationOutcomeIssue[] = [];
  keys.forEach((key: Record<string, unknown>, index) => {
    const at = `Credential.jwks.keys[${index}]`;
    if (!key || typeof key !== 'object') {
      issues.push(issue('error', 'invalid', 'a key must be an object', at));
      return;
    }
    if (typeof key.kid !== 'string' || key.kid === '') issues.push(issue('error', 'required', 'each key needs a kid', `${at}.kid`));
    if (key.kty !== 'RSA' && key.kty !== 'EC') issues.push(issue('error', 'invalid', 'kty must be RSA or EC', `${at}.kty`));
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((part) => part in key)) issues.push(issue('error', 'security', 'private key material is refused; register public keys only', at));
  });
  return issues;
}
