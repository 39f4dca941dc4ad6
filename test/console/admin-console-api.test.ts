// The console's admin APIs over HTTP on a running gateway with the reference EHR (SQLite, and
// PostgreSQL when DATABASE_URL is set): the shell is public with a strict CSP and every data
// call needs the admin token; run sync now takes the EHR's referrals in; a dead letter made
// by a failing EHR is listed without PHI, replayed (one AuditEvent per replay) and delivered;
// referral search and timeline; validation, mapping and report answers; 4xx on bad input.
import type { AuditEvent, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_SYSTEM } from '../../src/sync/dead-letter-replay.ts';
import { CONSOLE_CSP } from '../../src/http/console-routes.ts';
import { storeKinds } from '../support/gateway.ts';
import { deadLetterFromFailingEhr, eventually, foodBankReferralId, partnerUpdate, startConsoleFixture, type ConsoleFixture, EHR_NAME, FOOD_BANK } from './fixture.ts';

describe.each(storeKinds())('console admin API on %s', (kind) => {
  let f: ConsoleFixture;
  let referralId: string;

  beforeAll(async () => {
    f = await startConsoleFixture(kind);
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it('serves the shell without credentials, with a strict CSP; data calls need the admin token', async () => {
    const shell = await fetch(new URL('console/', f.gw.base));
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toMatch(/^text\/html/);
    expect(shell.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    const html = await shell.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(new URL('console/js/app.js', f.gw.base))).headers.get('content-type')).toMatch(/^text\/javascript/);
    const redirect = await fetch(new URL('console', f.gw.base), { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const missing = await fetch(new URL('console/../package.json', f.gw.base));
    expect(missing.status).toBe(404);
    const nope = await fetch(new URL('console/js/nope.js', f.gw.base));
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { resourceType?: string }).resourceType).toBe('OperationOutcome');
    expect((await fetch(new URL('console/', f.gw.base), { method: 'POST' })).status).toBe(405);

    const anonymous = await fetch(new URL('admin/console/connections', f.gw.base));
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(new URL('admin/console/connections', f.gw.base), { headers: { authorization: 'Bearer not-the-admin-token-at-all-000' } });
    expect(wrong.status).toBe(401);
  });

  it('run sync now polls the EHR; connections show the cursor, the last poll and the outbox', async () => {
    const before = await f.admin('GET', 'admin/console/connections');
    expect(before.status).toBe(200);
    expect(before.body.syncRunning).toBe(true);
    expect(before.body.ehrs[0]).toMatchObject({ name: EHR_NAME, destination: `ehr:${EHR_NAME}` });
    expect(before.body.ehrs[0].lastSuccessfulPoll).toBeUndefined();
    const sync = await f.admin('POST', 'admin/console/sync');
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);
    expect(sync.body.ehrs[0].ehr).toBe(EHR_NAME);
    expect(sync.body.ehrs[0].poll.applied).toBeGreaterThan(0);
    const after = await f.admin('GET', 'admin/console/connections');
    const ehr = after.body.ehrs[0];
    expect(ehr.origin).toBe(new URL(f.ehr.baseUrl).origin);
    expect(ehr.cursors.find((c: { organization: string }) => c.organization === FOOD_BANK).cursor).toBeTruthy();
    expect(Date.parse(ehr.lastSuccessfulPoll)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(after.body.partners.map((p: { id: string }) => p.id).sort()).toEqual(['food-bank', 'housing']);
    expect(after.body.partners[0].outbox).toMatchObject({ depth: 0, dead: 0, errorRate: null });
    referralId = await foodBankReferralId(f);
  });

  it('lists a dead letter made by a failing EHR without PHI, replays it with an AuditEvent, and it is delivered', async () => {
    const { letter, heal } = await deadLetterFromFailingEhr(f, referralId);
    const list = await f.admin('GET', 'admin/console/dead-letters');
    expect(list.status).toBe(200);
    const shown = list.body.deadLetters.find((d: { id: string }) => d.id === letter.id);
    expect(shown).toMatchObject({ destination: `ehr:${EHR_NAME}`, reason: 'source-task-changed', payload: { tenant: 'default', fields: {} } });
    // One attempt, or two when the gateway's own worker tried it first.
    expect(shown.attempts).toBeGreaterThanOrEqual(1);
    expect(shown.payload.resource).toMatch(/^Task\/[A-Za-z0-9\-.]+$/);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain('Rivera');
    expect(text).not.toContain(f.keys.get('food-bank'));
    const connections = await f.admin('GET', 'admin/console/connections');
    expect(connections.body.ehrs[0].outbox.dead).toBe(1);
    expect(connections.body.ehrs[0].outbox.errorRate).toBeGreaterThan(0);

    heal();
    const replay = await f.admin('POST', 'admin/console/dead-letters/replay', { ids: [letter.id, '00000000-0000-4000-8000-000000000000'] });
    expect(replay.status).toBe(202);
    expect(replay.body.requeued).toBe(1);
    expect(replay.body.results[1]).toEqual({ id: '00000000-0000-4000-8000-000000000000', outcome: 'not-found' });
    const result = replay.body.results[0];
    expect(result).toMatchObject({ id: letter.id, outcome: 'requeued' });
    // The replay is in the audit trail, naming the dead letter and the new outbox item.
    const audit = await f.gw.store.readAudit({ limit: 100_000 });
    const event = audit.map((r) => r.event as AuditEvent).find((e) => `AuditEvent/${e.id}` === result.auditEvent);
    expect(event?.entity?.some((e) => e.what?.identifier?.system === DEAD_LETTER_SYSTEM && e.what.identifier.value === letter.id && e.description?.includes(result.outboxId))).toBe(true);
    expect(event?.agent?.[0]?.who?.display).toBe('gateway administrator');
    // Replayed once only.
    const again = await f.admin('POST', 'admin/console/dead-letters/replay', { ids: [letter.id] });
    expect(again.status).toBe(404);
    const item = await eventually('the replayed item delivered', async () => {
      const r = await f.admin('GET', `admin/console/outbox/${result.outboxId}`);
      return r.body.state === 'done' ? r.body : undefined;
    }, 90_000);
    expect(item).toMatchObject({ destination: `ehr:${EHR_NAME}`, state: 'done' });
    expect(item.payload).toBeUndefined();
    const ehrTasks = (await (await fetch(new URL('Task?status=accepted', f.ehr.baseUrl))).json()) as { entry?: unknown[] };
    expect(ehrTasks.entry?.length ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it('refuses bad replay and outbox requests with an OperationOutcome', async () => {
    for (const body of [{}, { ids: [] }, { ids: ['nope'] }, { ids: 'x' }, [1]]) {
      const r = await f.admin('POST', 'admin/console/dead-letters/replay', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
    expect((await f.admin('GET', 'admin/console/outbox/not-a-uuid')).status).toBe(400);
    expect((await f.admin('GET', 'admin/console/outbox/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await f.admin('GET', 'admin/console/dead-letters?_count=abc')).status).toBe(400);
  });

  it('searches referrals by status and organisation and shows a timeline across both sides', async () => {
    await partnerUpdate(f, referralId, 'complete', { servicesDelivered: [{ serviceId: 'SVC-1', code: 'food-pantry-application', date: new Date().toISOString().slice(0, 10) }] });
    const found = await f.admin('GET', `admin/console/referrals?status=completed&organization=${encodeURIComponent(FOOD_BANK)}`);
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.referrals, JSON.stringify((await f.admin('GET', 'admin/console/referrals')).body)).toHaveLength(1);
    const referral = found.body.referrals[0];
    expect(referral).toMatchObject({ status: 'completed', outcomes: 1 });
    expect(referral.owner.endsWith(FOOD_BANK)).toBe(true);
    const none = await f.admin('GET', 'admin/console/referrals?status=completed&organization=Organization/demo-housing');
    expect(none.body.referrals).toHaveLength(0);
    const all = await f.admin('GET', 'admin/console/referrals');
    expect(all.body.referrals.length).toBe(3);
    const dated = await f.admin('GET', 'admin/console/referrals?from=2000-01-01&to=2000-12-31');
    expect(dated.body.referrals).toHaveLength(0);

    const timeline = await f.admin('GET', `admin/console/referrals/${referral.id}/timeline`);
    expect(timeline.status).toBe(200);
    const events = timeline.body.events as { side: string; status: string; organization?: string; subject: string }[];
    const sourceStatuses = events.filter((e) => e.side === 'source').map((e) => e.status);
    expect(sourceStatuses[0]).toBe('requested');
    expect(sourceStatuses).toContain('accepted');
    expect(sourceStatuses.at(-1)).toBe('completed');
    const downstream = events.filter((e) => e.side === 'downstream');
    expect(downstream.map((e) => e.status)).toEqual(expect.arrayContaining(['requested', 'accepted', 'completed']));
    expect(downstream.every((e) => e.organization?.endsWith(FOOD_BANK))).toBe(true);
    expect(events.filter((e) => e.side === 'delivery').map((e) => e.status)).toEqual(expect.arrayContaining(['dead', 'delivered']));
    expect(events.filter((e) => e.side === 'outcome')).toHaveLength(1);
    expect(timeline.body.referral.downstream).toHaveLength(1);

    expect((await f.admin('GET', 'admin/console/referrals/no-such-referral/timeline')).status).toBe(404);
    for (const query of ['status=finished', 'from=yesterday', 'organization=Patient/1', 'colour=blue', '_count=0']) {
      const r = await f.admin('GET', `admin/console/referrals?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.issue[0].expression?.[0] ?? '').toBe(query.split('=')[0]);
    }
  }, 120_000);

  it('validates a resource and names the place of each issue', async () => {
    const profiles = await f.admin('GET', 'admin/console/profiles');
    expect(profiles.status).toBe(200);
    expect(profiles.body.profiles.some((p: { url: string }) => p.url.endsWith('case-management-careplan'))).toBe(true);
    const task: Partial<Task> = { resourceType: 'Task', status: 'bogus' as Task['status'], intent: 'order' };
    const r = await f.admin('POST', 'admin/console/validate', JSON.stringify(task), { 'content-type': 'application/fhir+json' });
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(r.body.issue.filter((i: { severity: string }) => i.severity === 'error').map((i: { expression: string[] }) => i.expression[0])).toContain('Task.status');
    expect((await f.admin('POST', 'admin/console/validate', '[1]', { 'content-type': 'application/fhir+json' })).status).toBe(400);
  });

  it('runs a mapping both ways and reports bad requests', async () => {
    const list = await f.admin('GET', 'admin/console/mappings');
    expect(list.body.mappings.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(['referral', 'case-update', 'referral-csv']));
    const example = await f.admin('GET', 'admin/console/mappings/referral/example?direction=to-fhir');
    expect(example.status).toBe(200);
    const toFhir = await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'to-fhir', text: example.body.text, partner: 'food-bank' });
    expect(toFhir.status).toBe(200);
    expect(toFhir.body.ok, JSON.stringify(toFhir.body.outcome)).toBe(true);
    expect(toFhir.body.bundle.resourceType).toBe('Bundle');
    const fhirExample = await f.admin('GET', 'admin/console/mappings/referral/example?direction=from-fhir');
    const fromFhir = await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'from-fhir', text: fhirExample.body.text });
    expect(fromFhir.body.ok).toBe(true);
    expect(typeof fromFhir.body.record.referralId).toBe('string');
    const broken = await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'to-fhir', text: '{"referralId": 5}' });
    expect(broken.status).toBe(200);
    expect(broken.body.ok).toBe(false);
    expect(broken.body.outcome.issue.length).toBeGreaterThan(0);
    const csv = await f.admin('GET', 'admin/console/mappings/referral-csv/example?direction=to-fhir');
    const csvRun = await f.admin('POST', 'admin/console/map', { mapping: 'referral-csv', direction: 'to-fhir', text: csv.body.text });
    expect(csvRun.body.ok, JSON.stringify(csvRun.body.outcome)).toBe(true);
    expect(list.body.mappings.find((m: { name: string }) => m.name === 'referral-csv').tables.length).toBeGreaterThan(0);
    const csvFhir = await f.admin('GET', 'admin/console/mappings/referral-csv/example?direction=from-fhir');
    // The example is one of the mapping's golden cases, named after the table it fills.
    const table = csvFhir.body.case;
    expect(list.body.mappings.find((m: { name: string }) => m.name === 'referral-csv').tables).toContain(table);
    const csvBack = await f.admin('POST', 'admin/console/map', { mapping: 'referral-csv', direction: 'from-fhir', text: csvFhir.body.text, table });
    expect(csvBack.body.ok, JSON.stringify(csvBack.body.outcome)).toBe(true);
    expect(typeof csvBack.body.record).toBe('string');

    expect((await f.admin('POST', 'admin/console/map', { mapping: 'nope', direction: 'to-fhir', text: '{}' })).status).toBe(404);
    expect((await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'sideways', text: '{}' })).status).toBe(400);
    expect((await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'to-fhir', text: 'not json' })).status).toBe(400);
    expect((await f.admin('POST', 'admin/console/map', { mapping: 'referral', direction: 'to-fhir' })).status).toBe(400);
    expect((await f.admin('GET', 'admin/console/mappings/referral/example?direction=up')).status).toBe(400);
  });

  it('answers the referral report for a period and organisation; 400 without a period', async () => {
    const year = new Date().getUTCFullYear();
    const report = await f.admin('GET', `admin/console/report?period=${year - 1}-01-01/${year + 1}-12-31&organization=${encodeURIComponent(FOOD_BANK)}`);
    expect(report.status).toBe(200);
    expect(report.body.organization).toBe(FOOD_BANK);
    expect(report.body.overall.funnel.completed).toBe(1);
    const bad = await f.admin('GET', 'admin/console/report');
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression, JSON.stringify(bad.body)).toEqual(['period']);
  });
});
