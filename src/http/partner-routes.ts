// The partner API for organisations without FHIR: their inbox of referrals and their case
// updates, in their own JSON or CSV formats (through their mapping). A partner credential
// sees only its own partner path; any other answers like a missing one (404).
import express, { type Request, type Response } from 'express';
import { OperationOutcomeError, badRequest, notFound } from '../fhir/index.ts';
import { readInbox, type InboxRole } from '../coordination/partner-inbox.ts';
import { originateFromPartner } from '../coordination/partner-origination.ts';
import { applyCsvUpdates, applyJsonUpdates, recordsOf, type UpdateDeps } from '../coordination/partner-updates.ts';
import { applyPartnerCarePlans, carePlanRecordsOf } from '../coordination/care-plans.ts';
import type { PlatformSettings } from '../coordination/platform.ts';
import type { Partner } from '../store/store.ts';
import type { RestContext } from '../rest/context.ts';
import type { HttpModule } from './app.ts';
import { requirePartner } from './auth.ts';
import { openApiDocument } from './partner-openapi.ts';

export interface PartnerRoutesOptions extends UpdateDeps {
  settings: PlatformSettings;
}

const MAX_RECORDS = 1000;

export function partnerModule(options: PartnerRoutesOptions): HttpModule {
  const router = express.Router();

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(options.settings.baseUrl));
  });

  router.get('/partners/:partner/referrals', requirePartner, async (req, res) => {
    const partner = ownPartner(req, res);
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new OperationOutcomeError(badRequest('limit must be an integer from 1 to 500', 'limit'));
    }
    const since = typeof req.query.since === 'string' ? req.query.since : undefined;
    const role = req.query.role ?? 'owner';
    if (role !== 'owner' && role !== 'requester') {
      throw new OperationOutcomeError(badRequest('role must be owner (referrals offered to you) or requester (referrals you originated)', 'role'));
    }
    res.json(await readInbox(options.store, options.engine, options.settings, partner, since, limit, new Date().toISOString(), role as InboxRole));
  });

  // A referral the partner originates, in its own format (its referral mapping), to another
  // organisation or to a clinic (assignedTo.id).
  router.post('/partners/:partner/referrals', requirePartner, async (req, res) => {
    const partner = ownPartner(req, res);
    if (res.locals.bodyKind !== 'json') {
      throw new OperationOutcomeError(badRequest('Send the referral as application/json'));
    }
    const ctx = { tenant: partner.tenant, baseUrl: options.settings.baseUrl, strict: true, actor: partner.organization, authorize: res.locals.authorize as RestContext['authorize'] };
    const result = await originateFromPartner(options, ctx, partner, req.body, new Date().toISOString());
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post('/partners/:partner/updates', requirePartner, async (req, res) => {
    const partner = ownPartner(req, res);
    const ctx = { tenant: partner.tenant, baseUrl: options.settings.baseUrl, strict: true, actor: partner.organization, authorize: res.locals.authorize as RestContext['authorize'] };
    if (res.locals.bodyKind === 'csv') {
      const { results, outcome } = await applyCsvUpdates(options, ctx, partner, String(req.body ?? ''));
      res.json({ results, issues: outcome.issue.filter((i) => i.severity !== 'information') });
      return;
    }
    if (res.locals.bodyKind !== 'json') {
      throw new OperationOutcomeError(badRequest('Send case updates as application/json or text/csv'));
    }
    const records = recordsOf(req.body);
    if (records.length > MAX_RECORDS) {
      throw new OperationOutcomeError(badRequest(`At most ${MAX_RECORDS} records per request`));
    }
    res.json({ results: await applyJsonUpdates(options, ctx, partner, records) });
  });

  // Care plans in the partner's format (its care-plan mapping), linked to referrals of its inbox.
  router.post('/partners/:partner/care-plans', requirePartner, async (req, res) => {
    const partner = ownPartner(req, res);
    if (res.locals.bodyKind !== 'json') {
      throw new OperationOutcomeError(badRequest('Send care plans as application/json'));
    }
    const records = carePlanRecordsOf(req.body);
    if (records.length > MAX_RECORDS) {
      throw new OperationOutcomeError(badRequest(`At most ${MAX_RECORDS} records per request`));
    }
    const ctx = { tenant: partner.tenant, baseUrl: options.settings.baseUrl, strict: true, actor: partner.organization, authorize: res.locals.authorize as RestContext['authorize'] };
    res.json({ results: await applyPartnerCarePlans(options, ctx, partner, records) });
  });

  return { router };
}

function ownPartner(req: Request, res: Response): Partner {
  const partner = res.locals.partner as Partner;
  if (req.params.partner !== partner.id) {
    throw new OperationOutcomeError(notFound('No such partner'));
  }
  return partner;
}
