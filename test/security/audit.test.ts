// Issue 8 audit evidence: over a mixed run (success, 4xx, 5xx, authentication failure) the
// number of new AuditEvents equals the number of requests, each valid against the R4
// AuditEvent base profile; a failed audit write fails the request; the admin searches the
// trail by patient and date; per-partner rate limits answer 429 with Retry-After.
import express from 'express';
import type { AuditEvent } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { auditRequests } from '../../src/http/auth-audit.ts';
import { securityLayer } from '../../src/http/auth-wiring.ts';
import { hasErrors } from '../../src/fhir/index.ts';
import { auditOutbound } from '../../src/security/audit-trail.ts';
import { capturedLogger, listen, type Running } from '../support/http.ts';
import { ADMIN_TOKEN, assertion, fhir, requestToken, startSecureGateway, type SecureGateway } from './support.ts';

const AUDIT_PROFILE = 'http://hl7.org/fhir/StructureDefinition/AuditEvent';
let gw: SecureGateway;
let side: Running;

beforeAll(async () => {
  gw = await startSecureGateway();
  // A second app on the same store with a route that fails, to cover 5xx answers.
  const log = capturedLogger();
  const layer = securityLayer({ config: gw.config, store: gw.store, logger: log.logger, baseUrl: gw.base, demo: false });
  const boom = express.Router();
  boom.get('/Basic/boom', () => {
    throw new Error('internal failure');
  });
  side = await listen(createApp({ logger: log.logger, limits: gw.config.limits, baseUrl: gw.base, version: 'test', readiness: [], before: layer.before, modules: [...layer.modules, { router: boom }] }));
});

afterAll(async () => {
  await side?.close();
  await gw?.close();
});

async function allAudit() {
  return gw.store.readAudit({ limit: 100_000 });
}

describe('audit completeness', () => {
  test('one valid AuditEvent per request over a mixed run', async () => {
    const patient = await fhir(gw, 'POST', 'Patient', gw.keys.alpha, { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'AUDIT-PATIENT' }] });
    const patientId = patient.json!.id as string;
    const before = (await allAudit()).length;
    const statuses: number[] = [];
    const run = async (p: Promise<{ status: number }>) => statuses.push((await p).status);
    const task = { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: `Patient/${patientId}` }, identifier: [{ system: 'urn:test', value: 'AUDIT-RESULT-VALUE' }] };
    const created = await fhir(gw, 'POST', 'Task', gw.keys.alpha, task);
    statuses.push(created.status);
    const taskId = created.json!.id as string;
    await run(fhir(gw, 'GET', `Task/${taskId}`, gw.keys.alpha));
    await run(fhir(gw, 'GET', `Task?patient=Patient/${patientId}`, gw.keys.alpha));
    await run(fhir(gw, 'GET', 'Task/does-not-exist', gw.keys.alpha));
    await run(fhir(gw, 'POST', 'Task', gw.keys.alpha, { resourceType: 'Task', status: 'not-a-status' }));
    await run(fhir(gw, 'POST', 'Task', gw.keys.alpha, '{"resourceType": "Task",'));
    await run(fhir(gw, 'GET', 'Task'));
    await run(fhir(gw, 'POST', 'Task', gw.keys.alphaReadOnly, task));
    await run(fhir(gw, 'DELETE', `Task/${taskId}`, gw.keys.beta));
    await run(fhir(gw, 'POST', '', gw.keys.alpha, { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Task/${taskId}` } }] }));
    await run(requestToken(gw, 'not-an-assertion'));
    await run(requestToken(gw, await assertion(gw)));
    await run(gw.admin('GET', 'admin/partners'));
    await run(fhir(gw, 'GET', 'metadata'));
    await run(fetch(`${side.url}/Basic/boom`, { headers: { authorization: `Bearer ${gw.keys.alpha}` } }));
    await run(fetch(`${side.url}/Basic/boom`));
    expect(new Set(statuses.map((s) => Math.floor(s / 100)))).toEqual(new Set([2, 4, 5]));
    expect(statuses).toEqual(expect.arrayContaining([401, 403, 404, 500]));

    const records = (await allAudit()).slice(before);
    console.log(`requests: ${statuses.length}, AuditEvents: ${records.length}, statuses: ${statuses.join(' ')}`);
    expect(records.length).toBe(statuses.length);
    let valid = 0;
    for (const record of records) {
      const outcome = gw.conformance.validate(record.event, { profiles: [AUDIT_PROFILE] });
      expect(hasErrors(outcome), JSON.stringify(outcome.issue)).toBe(false);
      valid += 1;
    }
    console.log(`AuditEvents valid against the R4 AuditEvent profile: ${valid}/${records.length}`);
    const events = records.map((r) => r.event as AuditEvent);
    expect(events.map((e) => e.outcomeDesc)).toEqual(statuses.map((s) => `HTTP ${s}`));
    expect(events.map((e) => e.outcome)).toEqual(statuses.map((s) => (s < 400 ? '0' : s < 500 ? '4' : '8')));
    // Who, what and which patient, by id; a search keeps its query, never its results.
    expect(events[0]).toMatchObject({ action: 'C', agent: [{ who: { reference: 'Organization/alpha' }, requestor: true }] });
    expect(events[0].entity?.map((e) => e.what?.reference)).toEqual(expect.arrayContaining([`Task/${taskId}`, `Patient/${patientId}`]));
    expect(events[1].entity?.map((e) => e.what?.reference)).toEqual(expect.arrayContaining([`Task/${taskId}`, `Patient/${patientId}`]));
    const search = events[2];
    expect(search.subtype?.[0]?.code).toBe('search-type');
    const query = search.entity?.find((e) => e.query)?.query;
    expect(Buffer.from(query!, 'base64').toString()).toBe(`patient=Patient%2F${patientId}`);
    expect(JSON.stringify(search)).not.toContain('AUDIT-RESULT-VALUE');
    expect(JSON.stringify(events)).not.toContain('AUDIT-RESULT-VALUE');
    expect(events[6].agent[0].who?.display).toBe('anonymous');
  });

  test('the admin finds events by patient and date', async () => {
    const patient = await fhir(gw, 'POST', 'Patient', gw.keys.alpha, { resourceType: 'Patient' });
    const id = patient.json!.id as string;
    await fhir(gw, 'GET', `Patient/${id}`, gw.keys.alpha);
    const today = new Date().toISOString().slice(0, 10);
    const found = await gw.admin('GET', `admin/AuditEvent?patient=Patient/${id}&date=${today}`);
    expect(found.status).toBe(200);
    expect(found.json.total).toBe(2);
    const none = await gw.admin('GET', `admin/AuditEvent?patient=${id}&date=lt2020-01-01`);
    expect(none.json.total).toBe(0);
    const bad = await gw.admin('GET', 'admin/AuditEvent?date=yesterday');
    expect(bad.status).toBe(400);
  });

  test('outbound EHR calls are audited without their query', async () => {
    const record = await auditOutbound(gw.store, { tenant: 'platform', method: 'GET', url: 'https://ehr.example/fhir/Task?identifier=SECRET-ID', status: 200, query: 'identifier=SECRET-ID', patient: 'Patient/p9' });
    const event = record.event as AuditEvent;
    expect(hasErrors(gw.conformance.validate(event, { profiles: [AUDIT_PROFILE] }))).toBe(false);
    expect(event.agent[1].network?.address).toBe('ehr.example');
    expect(JSON.stringify(event.agent)).not.toContain('SECRET-ID');
    expect(event.entity?.some((e) => e.what?.reference === 'Patient/p9')).toBe(true);
  });

  test('the chain stays intact through the run', async () => {
    const verify = await gw.admin('GET', 'admin/audit/verify');
    expect(verify.json).toMatchObject({ intact: true });
    expect(verify.json.records).toBe((await allAudit()).length - 1);
    expect(ADMIN_TOKEN).not.toBe('');
  });
});

test('a failed audit write fails the request and hides its answer', async () => {
  const log = capturedLogger();
  const router = express.Router();
  router.get('/Basic/1', (_req, res) => {
    res.json({ resourceType: 'Basic', id: '1', code: { text: 'Zzcanary-unaudited' } });
  });
  const failing = { appendAudit: () => Promise.reject(new Error('disk full')) };
  const app = createApp({ logger: log.logger, limits: { bodyBytes: 65536, jsonDepth: 50 }, baseUrl: 'http://127.0.0.1/', version: 'test', readiness: [], before: [auditRequests({ store: failing, logger: log.logger })], modules: [{ router }] });
  const running = await listen(app);
  try {
    const response = await fetch(`${running.url}/Basic/1`);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
    expect(text).not.toContain('Zzcanary');
    expect(log.lines.some((l) => l.includes('audit write failed'))).toBe(true);
  } finally {
    await running.close();
  }
});

test('a partner over its rate limit gets 429 with Retry-After; others are not affected', async () => {
  const limited = await startSecureGateway('sqlite', { rateLimit: { requestsPerMinute: 6, burst: 3 } });
  try {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await fhir(limited, 'GET', 'Task', limited.keys.alpha);
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.json?.resourceType).toBe('OperationOutcome');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await fhir(limited, 'GET', 'Task', limited.keys.beta)).status).toBe(200);
    console.log(`rate limit: ${statuses.filter((s) => s === 429).length} of 5 requests over a burst of 3 answered 429, Retry-After ${retryAfter}s`);
  } finally {
    await limited.close();
  }
});
