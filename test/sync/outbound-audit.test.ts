// Issue 8 / RELIABILITY.md 32: one AuditEvent per outbound EHR call, written by the sync engine.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSyncEngine } from '../../src/sync/sync-engine.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('outbound EHR calls are audited', () => {
  let ehr: ReferenceEhr;
  let gw: TestGateway;
  beforeAll(async () => {
    ehr = await startReferenceEhr();
    gw = await startTestGateway('sqlite', {}, { schedules: false });
  });
  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  test('a poll writes one outbound AuditEvent per request the EHR saw', async () => {
    const before = (await gw.store.readAudit({ limit: 100_000 })).length;
    const engine = createSyncEngine({
      store: gw.store,
      rest: gw.rest,
      settings: gw.settings,
      ehrs: [{ name: 'audit-ehr', baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: ['Organization/x', 'Organization/y'], pollSchedule: '*/15 * * * *', timeoutMs: 5000 }],
    });
    const requestsBefore = ehr.requests.length;
    await engine.runOnce();
    const calls = ehr.requests.length - requestsBefore;
    const records = (await gw.store.readAudit({ limit: 100_000 })).slice(before);
    // No request reached the gateway itself here: every new AuditEvent is an outbound call.
    const outbound = records;
    console.log(`outbound audit: ehr_requests=${calls} audit_events=${outbound.length}`);
    expect(calls).toBeGreaterThan(0);
    expect(outbound.length).toBe(calls);
  });
});
