// GET /reports/referrals (JSON and a Bundle of MeasureReports validated against the R4 base)
// and GET /metrics (parsed with a strict text-format parser) on an in-process gateway, over
// a small hand-made history written straight into the platform tenant.
import type { Bundle, MeasureReport, OperationOutcome, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { RESULTING_ACTIVITY, TASK_CODE_FULFILL, TEMPORARY_CODES } from '../../src/workflow/sdohcc.ts';
import { hasErrors } from '../../src/fhir/outcomes.ts';
import { parsePrometheusText, sampleValue } from './support/prometheus-text.ts';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
const PERIOD = `${day(-1)}/${day(1)}`;
const PATIENT = { reference: 'Patient/p-1' };

let gw: TestGateway;

function request(id: string, category: string, consent: boolean): ServiceRequest & { id: string } {
  return {
    resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: PATIENT,
    category: [{ coding: [{ system: TEMPORARY_CODES, code: category }] }],
    ...(consent ? { supportingInfo: [{ reference: `Consent/consent-${id}` }] } : {}),
  };
}

function task(id: string, focus: string, owner: string, status: Task['status'], extra: Partial<Task> = {}): Task & { id: string } {
  return { resourceType: 'Task', id, status, intent: 'order', code: TASK_CODE_FULFILL, focus: { reference: `ServiceRequest/${focus}` }, for: PATIENT, owner: { reference: owner }, ...extra };
}

async function get(path: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(new URL(path, gw.base));
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

beforeAll(async () => {
  gw = await startTestGateway('sqlite');
  const s = gw.store;
  await s.createMany('default', [request('sr-1', 'food-insecurity', true), request('sr-2', 'housing-instability', false), request('sr-3', 'food-insecurity', true)]);
  const procedure: Procedure & { id: string } = { resourceType: 'Procedure', id: 'p-1', status: 'completed', subject: PATIENT, performedDateTime: new Date().toISOString() };
  await s.createResource('default', procedure);
  await s.updateResource('default', task('t-1', 'sr-1', 'Organization/cbo-a', 'requested'));
  await s.updateResource('default', task('t-2', 'sr-2', 'Organization/cbo-a', 'requested'));
  await s.updateResource('default', task('t-2', 'sr-2', 'Organization/cbo-a', 'accepted'));
  await s.updateResource('default', task('t-2', 'sr-2', 'Organization/cbo-a', 'completed', { output: [{ type: RESULTING_ACTIVITY, valueReference: { reference: 'Procedure/p-1' } }] }));
  await s.updateResource('default', task('t-3', 'sr-3', 'Organization/cbo-b', 'requested'));
  await s.updateResource('default', task('t-3', 'sr-3', 'Organization/cbo-b', 'rejected', { statusReason: { text: 'No capacity' } }));
  // Not a referral: no ServiceRequest focus, another Task.code.
  await s.updateResource('default', { resourceType: 'Task', id: 't-x', status: 'requested', intent: 'order', code: { text: 'call back' }, for: PATIENT });
  // One pending outbox item and one dead letter.
  await s.enqueue({ destination: 'ehr', orderingKey: 'Task/t-1', reason: 'task-status-changed', payload: {} });
  await s.enqueue({ destination: 'ehr', orderingKey: 'Task/t-2', reason: 'task-status-changed', payload: {} });
  const [claimed] = await s.claim('test', 1, 60_000);
  await s.bury(claimed.id, 'test', 'gave up');
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

describe('GET /reports/referrals', () => {
  it('answers the report as JSON with the figures of the history', async () => {
    const r = await get(`reports/referrals?period=${PERIOD}`);
    expect(r.status).toBe(200);
    const report = JSON.parse(r.text);
    expect(report.period).toEqual({ start: `${day(-1)}T00:00:00.000Z`, end: `${day(2)}T00:00:00.000Z` });
    expect(report.overall.funnel).toEqual({
      sent: 3, accepted: 1, rejected: 1, rejectedByReason: { 'No capacity': 1 }, awaiting: 1, inProgress: 0,
      completed: 1, failed: 0, cancelled: 0, closedLoop: 1, closedLoopRate: 1 / 3,
    });
    expect(report.overall.dataQuality).toEqual({ missingConsent: 1, outcomesWithoutProcedure: 0 });
    expect(report.overall.timeliness.toFirstService.count).toBe(1);
    expect(report.pendingSyncFailures).toBe(1);
    expect(report.byOrganization.map((o: { key: string }) => o.key)).toEqual(['Organization/cbo-a', 'Organization/cbo-b']);
    expect(report.byCategory.map((o: { key: string; figures: { funnel: { sent: number } } }) => [o.key, o.figures.funnel.sent])).toEqual([
      ['food-insecurity', 2],
      ['housing-instability', 1],
    ]);
  });

  it('narrows to one organisation', async () => {
    const r = await get(`reports/referrals?period=${PERIOD}&organization=cbo-a`);
    expect(r.status).toBe(200);
    const report = JSON.parse(r.text);
    expect(report.organization).toBe('Organization/cbo-a');
    expect(report.overall.funnel.sent).toBe(2);
    expect(report.overall.funnel.rejected).toBe(0);
    const ids = async (query: string) => {
      const bundle = JSON.parse((await get(`reports/referrals?period=${PERIOD}&format=measurereport${query}`)).text) as Bundle<MeasureReport>;
      return (bundle.entry ?? []).map((e) => e.resource?.id);
    };
    const all = await ids('');
    const one = await ids('&organization=Organization/cbo-a');
    expect(one.length).toBe(all.length);
    expect(one.filter((id) => all.includes(id))).toEqual([]);
  });

  it('answers a Bundle of MeasureReports that validate against the R4 base', async () => {
    const r = await get(`reports/referrals?period=${PERIOD}&format=measurereport`);
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/fhir+json');
    const bundle = JSON.parse(r.text) as Bundle<MeasureReport>;
    expect(bundle.type).toBe('collection');
    const reports = (bundle.entry ?? []).map((e) => e.resource as MeasureReport);
    expect(reports.length).toBeGreaterThanOrEqual(5);
    for (const mr of reports) {
      const outcome = gw.conformance.validate(mr);
      expect([mr.measure, (outcome.issue ?? []).filter((i) => i.severity === 'error')]).toEqual([mr.measure, []]);
    }
    expect(hasErrors(gw.conformance.validate(bundle))).toBe(false);
    const funnel = reports.find((mr) => mr.measure?.endsWith('/Measure/referral-funnel'));
    const sent = funnel?.group?.find((g) => g.code?.coding?.[0]?.code === 'sent');
    expect(sent?.population?.[0]?.count).toBe(3);
  });

  it('answers 400 with every problem of the parameters', async () => {
    const r = await get('reports/referrals?period=2026-13-01/2026-01-01&format=pdf&organization=a/b/c&colour=red');
    expect(r.status).toBe(400);
    const outcome = JSON.parse(r.text) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect((outcome.issue ?? []).map((i) => i.expression?.[0]).sort()).toEqual(['colour', 'format', 'organization', 'period']);
    const missing = await get('reports/referrals');
    expect(missing.status).toBe(400);
    const backwards = await get('reports/referrals?period=2026-03-01/2026-01-01');
    expect(backwards.status).toBe(400);
    expect(JSON.parse(backwards.text).issue[0].details.text).toContain('ends before it starts');
  });
});

describe('GET /metrics', () => {
  it('exposes request counters, latencies and store gauges without identifiers', async () => {
    await get('healthz');
    await get('healthz');
    expect((await get('Patient/secret-id-4711')).status).toBe(404);
    expect((await get('Zzqvunknownthing')).status).toBe(404);
    const r = await get('metrics');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/plain');
    const families = parsePrometheusText(r.text);

    expect(families.get('gateway_http_requests_total')?.type).toBe('counter');
    expect(sampleValue(families, 'gateway_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(2);
    expect(sampleValue(families, 'gateway_http_requests_total', { method: 'GET', route: '/Patient/:id', status: '404' })).toBe(1);
    expect(sampleValue(families, 'gateway_http_requests_total', { method: 'GET', route: '/:type', status: '404' })).toBe(1);
    expect(sampleValue(families, 'gateway_http_request_duration_seconds_count', { route: '/healthz', status: '200' })).toBe(2);
    const inf = sampleValue(families, 'gateway_http_request_duration_seconds_bucket', { route: '/healthz', le: '+Inf' });
    expect(inf).toBe(2);

    expect(sampleValue(families, 'gateway_outbox_items', { state: 'pending' })).toBe(1);
    expect(sampleValue(families, 'gateway_outbox_items', { state: 'dead' })).toBe(1);
    expect(sampleValue(families, 'gateway_dead_letters')).toBe(1);
    expect(sampleValue(families, 'gateway_referrals', { status: 'requested' })).toBe(1);
    expect(sampleValue(families, 'gateway_referrals', { status: 'completed' })).toBe(1);
    expect(sampleValue(families, 'gateway_referrals', { status: 'rejected' })).toBe(1);
    expect(sampleValue(families, 'gateway_referrals', { status: 'in-progress' })).toBe(0);

    expect(r.text).not.toContain('secret-id-4711');
    expect(r.text).not.toContain('Zzqvunknownthing');
    expect(r.text).not.toContain('cbo-a');
  });

  it('is counted on the next scrape, and the parser refuses malformed text', async () => {
    const families = parsePrometheusText((await get('metrics')).text);
    expect(sampleValue(families, 'gateway_http_requests_total', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(() => parsePrometheusText('gateway_x 1\n')).toThrow(/undeclared/);
    expect(() => parsePrometheusText('# TYPE a counter\na{l="x} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE a counter\na 1')).toThrow(/newline/);
  });
});
