// The admin APIs the operations console needs beyond /admin (admin-routes.ts), all under
// /admin/console/ and so behind the admin credential (auth.ts): connection status and
// "run sync now", dead letters with a PHI-free payload summary and bulk replay (one
// AuditEvent per replayed letter, written in the replay's transaction), outbox item state,
// referral search and a referral's timeline, validation, the mapping playground and the
// referral report. Bad input: 4xx OperationOutcome naming the parameter.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { AuditEvent, OperationOutcomeIssue, Procedure, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { EhrConfig } from '../config/config.ts';
import type { Conformance } from '../conformance/index.ts';
import type { PlatformSettings } from '../coordination/platform.ts';
import { availableProfiles } from '../console/profiles.ts';
import { ehrConnectionView, partnerConnectionView } from '../console/connections.ts';
import { summarizePayload } from '../console/payload-summary.ts';
import { buildTimeline, type DownstreamHistory } from '../console/timeline.ts';
import { OperationOutcomeError, badRequest, conflict, hasErrors, issue, notFound, outcome, statusOf } from '../fhir/index.ts';
import { transactionBundle } from '../mapping/bundle.ts';
import type { MappingEngine } from '../mapping/index.ts';
import { runReferralReport } from '../reports/referral-report.ts';
import { parseReportRequest } from '../reports/report-request.ts';
import type { SearchFilter, StoredVersion, Store } from '../store/store.ts';
import { cursorName } from '../sync/poller.ts';
import type { SyncService } from '../sync/sync-service.ts';
import { replayDeadLetter } from '../sync/dead-letter-replay.ts';
import { boundedInt, objectBody, param } from './request-input.ts';
import type { HttpModule } from './app.ts';
import { readValidateRequest } from './validate-routes.ts';

export interface AdminConsoleOptions {
  store: Store;
  conformance: Conformance;
  engine: MappingEngine;
  settings: PlatformSettings;
  /** The EHR connections the gateway syncs with. */
  ehrs: () => readonly EhrConfig[];
  /** The running sync service, when schedules are on (created after the app). */
  sync: () => SyncService | undefined;
  /** Longest a "run sync now" may take. */
  syncTimeoutMs?: number;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ORGANIZATION = /^(?:Organization\/)?([A-Za-z0-9\-.]{1,64})$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TASK_STATUSES = ['draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error'];
const MAX_REPLAY = 200;
const MAX_MAP_INPUT = 1024 * 1024;

export function adminConsoleRoutes(options: AdminConsoleOptions): Router {
  const router = express.Router();
  const { store, settings } = options;
  const now = () => options.now?.() ?? Date.now();
  let running: Promise<unknown> | undefined;

  router.get('/admin/console/connections', async (_req, res) => {
    const summaries = new Map((await store.summarizeOutbox()).map((s) => [s.destination, s]));
    const ehrs = [];
    for (const ehr of options.ehrs()) {
      const cursors = [];
      for (const organization of ehr.organizations) {
        const cursor = await store.getCursor(cursorName(ehr.name, organization));
        cursors.push(cursor === undefined ? { organization } : { organization, cursor });
      }
      ehrs.push(ehrConnectionView(ehr, cursors, summaries.get(`ehr:${ehr.name}`)));
    }
    const partners = (await store.listPartners()).map((p) =>
      partnerConnectionView({ id: p.id, name: p.name, organization: p.organization, tenant: p.tenant, mapping: p.mapping, hasWebhook: Boolean(p.webhookUrl) }, summaries.get(`webhook:${p.id}`)),
    );
    const known = new Set([...ehrs.map((e) => e.destination), ...partners.map((p) => p.destination)]);
    const other = [...summaries.keys()].filter((d) => !known.has(d));
    res.json({ syncRunning: options.sync() !== undefined, syncInProgress: running !== undefined, ehrs, partners, otherDestinations: other });
  });

  router.post('/admin/console/sync', async (_req, res) => {
    const sync = options.sync();
    if (!sync) {
      throw new OperationOutcomeError(conflict('Sync is not running in this gateway (started without schedules); use gateway sync --once'));
    }
    if (running) {
      throw new OperationOutcomeError(conflict('A sync cycle started from the console is still running; try again when it ends'));
    }
    const started = now();
    const cycle = sync.engine.runOnce({ signal: AbortSignal.timeout(options.syncTimeoutMs ?? 120_000) });
    running = cycle;
    try {
      const report = await cycle;
      res.json({ ms: now() - started, ...report });
    } finally {
      running = undefined;
    }
  });

  router.get('/admin/console/dead-letters', async (req, res) => {
    const limit = boundedInt(req.query._count, 100, 1000, '_count');
    const offset = boundedInt(req.query._offset, 0, 1_000_000, '_offset');
    const letters = await store.listDeadLetters({ limit, offset });
    res.json({
      deadLetters: letters.map(({ payload, ...rest }) => ({ ...rest, payload: summarizePayload(payload) })),
    });
  });

  router.post('/admin/console/dead-letters/replay', async (req, res) => {
    const ids = replayIds(req.body);
    const results = [];
    for (const id of ids) {
      const replayed = await replayDeadLetter(store, id, {
      route: '/admin/console/dead-letters/replay',
      nowMs: now(),
      network: req.socket.remoteAddress,
      requestId: res.locals.requestId as string | undefined,
    });
      results.push(replayed ? { id, outcome: 'requeued' as const, outboxId: replayed.outboxId, auditEvent: replayed.auditEvent } : { id, outcome: 'not-found' as const });
    }
    const requeued = results.filter((r) => r.outcome === 'requeued').length;
    res.status(requeued > 0 ? 202 : 404).json({ requeued, results });
  });

  router.get('/admin/console/outbox/:id', async (req, res) => {
    const id = param(req, 'id');
    if (!UUID.test(id)) throw new OperationOutcomeError(badRequest('The outbox item id must be a UUID', 'id'));
    const item = await store.readOutboxItem(id);
    if (!item) throw new OperationOutcomeError(notFound('No such outbox item'));
    res.json(item);
  });

  router.get('/admin/console/referrals', async (req, res) => {
    // Referrals taken in from an EHR name their owner by the EHR's absolute URL.
    const bases = [settings.baseUrl, ...options.ehrs().map((e) => (e.baseUrl.endsWith('/') ? e.baseUrl : `${e.baseUrl}/`))];
    const query = referralQuery(req.query as Record<string, unknown>, bases);
    const found = await store.search(settings.tenant, {
      resourceType: 'Task',
      filters: query.filters,
      sort: [{ param: '_lastUpdated', descending: true }],
      count: query.count,
      total: 'accurate',
    });
    const tasks = found.versions.map((v) => v as StoredVersion<Task>);
    const focusRefs = tasks.flatMap((t) => (t.resource.focus?.reference?.startsWith('ServiceRequest/') ? [t.resource.focus.reference] : []));
    const requests = new Map((await store.readMany(settings.tenant, [...new Set(focusRefs)])).map((v) => [`ServiceRequest/${v.id}`, v.resource as ServiceRequest]));
    res.json({
      total: found.total,
      referrals: tasks.map((v) => {
        const task = v.resource;
        const sr = task.focus?.reference ? requests.get(task.focus.reference) : undefined;
        const service = sr?.code?.coding?.find((c) => c.display || c.code);
        return {
          id: v.id,
          status: task.status,
          owner: task.owner?.reference,
          requester: task.requester?.reference,
          authoredOn: task.authoredOn,
          lastUpdated: v.lastUpdated,
          service: service?.display ?? service?.code,
          outcomes: (task.output ?? []).filter((o) => o.valueReference?.reference?.startsWith('Procedure/')).length,
        };
      }),
    });
  });

  router.get('/admin/console/referrals/:id/timeline', async (req, res) => {
    const id = param(req, 'id');
    if (!ID.test(id)) throw new OperationOutcomeError(badRequest('The referral id must be a FHIR id', 'id'));
    const source = (await store.readHistory(settings.tenant, 'Task', id, { count: 500 })) as StoredVersion<Task>[];
    if (source.length === 0) throw new OperationOutcomeError(notFound('No such referral'));
    const mirrors = await store.search(settings.tenant, {
      resourceType: 'Task',
      filters: [{ kind: 'reference', param: 'part-of', values: [`Task/${id}`, `${settings.baseUrl}Task/${id}`] }],
      count: 100,
    });
    const partners = await store.listPartners();
    const downstream: DownstreamHistory[] = [];
    for (const mirror of mirrors.versions) {
      const owner = (mirror.resource as Task).owner?.reference;
      const partner = owner ? partners.find((p) => organizationTail(p.organization) === organizationTail(owner)) : undefined;
      let versions = partner ? ((await store.readHistory(partner.tenant, 'Task', mirror.id, { count: 500 })) as StoredVersion<Task>[]) : [];
      if (versions.length === 0) versions = (await store.readHistory(settings.tenant, 'Task', mirror.id, { count: 500 })) as StoredVersion<Task>[];
      downstream.push({ taskId: mirror.id, ...(owner ? { organization: owner } : {}), versions: versions.reverse() });
    }
    const current = source[0].resource;
    const keys = [`Task/${id}`, ...mirrors.versions.map((m) => `Task/${m.id}`)];
    const deliveries = await store.listOutboxByKeys(keys, 500);
    const procedureRefs = (current.output ?? []).flatMap((o) => (o.valueReference?.reference?.startsWith('Procedure/') ? [o.valueReference.reference] : []));
    const outcomes = (await store.readMany(settings.tenant, procedureRefs)) as StoredVersion<Procedure>[];
    res.json({
      referral: { id, status: current.status, owner: current.owner?.reference, authoredOn: current.authoredOn, downstream: downstream.map((d) => ({ id: d.taskId, organization: d.organization })) },
      events: buildTimeline({ source: [...source].reverse(), downstream, deliveries, outcomes }),
    });
  });

  router.get('/admin/console/profiles', (_req, res) => {
    res.json({ profiles: availableProfiles((url) => options.conformance.definitions.structureDefinition(url) !== undefined) });
  });

  router.post('/admin/console/validate', (req, res) => {
    const request = readValidateRequest(req.body, req.query as Record<string, unknown>, res.locals.bodyText as string | undefined);
    res.json(options.conformance.validate(request.resource, { profiles: request.profiles, sourceText: request.sourceText }));
  });

  router.get('/admin/console/mappings', (_req, res) => {
    res.json({
      mappings: options.engine.names().map((name) => {
        const m = options.engine.get(name);
        return { name, directions: m?.directions ?? [], csv: Boolean(m?.csv), tables: m?.csv?.tables.map((t) => t.table) ?? [] };
      }),
    });
  });

  // The first golden test case of a mapping as a starting point (synthetic data shipped with the mapping).
  router.get('/admin/console/mappings/:name/example', async (req, res) => {
    const mapping = options.engine.get(param(req, 'name'));
    if (!mapping) throw new OperationOutcomeError(notFound('No such mapping'));
    const direction = req.query.direction;
    if (direction !== 'to-fhir' && direction !== 'from-fhir') throw new OperationOutcomeError(badRequest('direction must be to-fhir or from-fhir', 'direction'));
    const dir = path.join(path.dirname(mapping.file), 'tests');
    const names = (await readdir(dir).catch(() => [] as string[])).sort();
    const wanted = direction === 'to-fhir' ? /\.partner\.(json|csv)$/ : /\.fhir\.json$/;
    const name = names.find((n) => wanted.test(n));
    if (!name) throw new OperationOutcomeError(notFound('This mapping ships no example for that direction'));
    res.json({ case: name.replace(/\.(partner|fhir)\.(json|csv)$/, ''), text: await readFile(path.join(dir, name), 'utf8') });
  });

  router.post('/admin/console/map', (req, res) => {
    const body = objectBody(req);
    const issues: OperationOutcomeIssue[] = [];
    const name = typeof body.mapping === 'string' ? body.mapping : '';
    const mapping = options.engine.get(name);
    if (!mapping) issues.push(issue('error', 'not-found', 'mapping must name one of the loaded mappings', 'mapping'));
    const direction = body.direction === 'to-fhir' || body.direction === 'from-fhir' ? body.direction : undefined;
    if (!direction) issues.push(issue('error', 'code-invalid', 'direction must be to-fhir or from-fhir', 'direction'));
    if (typeof body.text !== 'string' || body.text.trim() === '') issues.push(issue('error', 'required', 'text (the partner record or FHIR resource) is required', 'text'));
    else if (body.text.length > MAX_MAP_INPUT) issues.push(issue('error', 'too-long', 'text may be at most 1 MiB', 'text'));
    if (body.partner !== undefined && (typeof body.partner !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(body.partner))) {
      issues.push(issue('error', 'invalid', 'partner must be lower-case letters, digits and dashes', 'partner'));
    }
    if (body.table !== undefined && typeof body.table !== 'string') issues.push(issue('error', 'invalid', 'table must be a string', 'table'));
    if (mapping && direction && !mapping.directions.includes(direction)) issues.push(issue('error', 'not-supported', `This mapping does not run ${direction}`, 'direction'));
    if (issues.length) throw new OperationOutcomeError(outcome(issues.some((i) => i.code === 'not-found') && issues.length === 1 ? 'not-found' : 'bad-request', issues));
    const text = body.text as string;
    let input: unknown = text;
    if (!(mapping?.csv && direction === 'to-fhir')) {
      try {
        input = JSON.parse(text);
      } catch {
        throw new OperationOutcomeError(badRequest('text is not JSON (only CSV mappings read CSV, and only to FHIR)', 'text'));
      }
    }
    const result = options.engine.map(name, direction as 'to-fhir' | 'from-fhir', input, {
      ...(typeof body.partner === 'string' ? { partner: body.partner } : {}),
      ...(typeof body.table === 'string' ? { table: body.table } : {}),
    });
    if (statusOf(result.outcome) === 400) throw new OperationOutcomeError(result.outcome);
    const ok = !hasErrors(result.outcome);
    res.json({
      ok,
      outcome: result.outcome,
      ...(result.resources ? { bundle: transactionBundle(result.resources as Resource[]) } : {}),
      ...(result.record !== undefined ? { record: result.record } : {}),
    });
  });

  router.get('/admin/console/report', async (req, res) => {
    const request = parseReportRequest(req.query as Record<string, unknown>, ['json']);
    const run = await runReferralReport(store, { period: request.period, ...(request.organization ? { organization: request.organization } : {}) });
    res.json(request.organization ? { organization: request.organization, ...run.report } : run.report);
  });

  return router;
}

export function adminConsoleModule(options: AdminConsoleOptions): HttpModule {
  return { router: adminConsoleRoutes(options) };
}

/** `ids`: 1 to 200 distinct dead-letter ids (UUIDs). */
function replayIds(body: unknown): string[] {
  const ids = (body as { ids?: unknown } | undefined)?.ids;
  if (!body || typeof body !== 'object' || !Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REPLAY) {
    throw new OperationOutcomeError(badRequest(`The body must be {"ids": [...]} with 1 to ${MAX_REPLAY} dead-letter ids`, 'ids'));
  }
  const bad = ids.findIndex((id) => typeof id !== 'string' || !UUID.test(id));
  if (bad >= 0) throw new OperationOutcomeError(badRequest('Each dead-letter id must be a UUID', `ids[${bad}]`));
  return [...new Set(ids as string[])];
}

function referralQuery(query: Record<string, unknown>, bases: readonly string[]): { filters: SearchFilter[]; count: number } {
  const issues: OperationOutcomeIssue[] = [];
  const known = new Set(['status', 'organization', 'from', 'to', '_count']);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) issues.push(issue('error', 'not-supported', 'Unknown parameter (status, organization, from, to and _count are supported)', /^[A-Za-z_][\w-]{0,39}$/.test(key) ? key : undefined));
  }
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      issues.push(issue('error', 'invalid', `The parameter ${name} may be given once`, name));
      return undefined;
    }
    return value;
  };
  // Mirrors of downstream Tasks (partOf a source) are shown in their referral's timeline.
  const filters: SearchFilter[] = [{ kind: 'missing', param: 'part-of', indexKind: 'reference', missing: true }];
  const status = one('status');
  if (status !== undefined) {
    const codes = status.split(',');
    if (codes.some((c) => !TASK_STATUSES.includes(c))) issues.push(issue('error', 'code-invalid', `status must be Task statuses (${TASK_STATUSES.join(', ')}), comma-separated`, 'status'));
    else filters.push({ kind: 'token', param: 'status', values: codes.map((code) => ({ code })) });
  }
  const organization = one('organization');
  if (organization !== undefined) {
    const m = ORGANIZATION.exec(organization);
    if (!m) issues.push(issue('error', 'invalid', 'organization must be an Organization id or Organization/id', 'organization'));
    else filters.push({ kind: 'reference', param: 'owner', values: [`Organization/${m[1]}`, ...bases.map((base) => `${base}Organization/${m[1]}`)] });
  }
  const dates: { prefix: 'ge' | 'le'; value: string }[] = [];
  for (const [name, prefix] of [['from', 'ge'], ['to', 'le']] as const) {
    const value = one(name);
    if (value === undefined) continue;
    if (!DAY.test(value) || Number.isNaN(Date.parse(value))) issues.push(issue('error', 'invalid', `${name} must be a date (YYYY-MM-DD)`, name));
    else dates.push({ prefix, value });
  }
  const count = boundedIntOr(one('_count'), 50, 200, '_count', issues);
  if (issues.length) throw new OperationOutcomeError(outcome('bad-request', issues));
  // Two date bounds are two filters (ANDed); one filter's values are ORed.
  const dateFilters: SearchFilter[] = dates.map((d) => ({ kind: 'date', param: 'authored-on', values: [d] }));
  return { filters: [...filters, ...dateFilters], count };
}

/** `Organization/id` of a relative or absolute reference. */
function organizationTail(reference: string): string {
  return /(Organization\/[^/]+)$/.exec(reference)?.[1] ?? reference;
}

function boundedIntOr(value: string | undefined, fallback: number, max: number, name: string, issues: OperationOutcomeIssue[]): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    issues.push(issue('error', 'invalid', `${name} must be a whole number from 1 to ${max}`, name));
    return fallback;
  }
  return n;
}



