// RELIABILITY.md scenario 29: partner beta probing partner alpha's records through every FHIR
// interaction. Reads answer exactly like a missing id (404, same body), searches return no
// records, writes are 403 and leave no shadow copy; the count of probes and leaked records is
// printed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fhir, startSecureGateway, type FhirAnswer, type SecureGateway } from './support.ts';
import { storeKinds } from '../support/gateway.ts';

describe.each(storeKinds())('tenant isolation on %s', (kind) => {
  let gw: SecureGateway;
  let patientId: string;
  let taskId: string;

  beforeAll(async () => {
    gw = await startSecureGateway(kind);
    const patient = await fhir(gw, 'POST', 'Patient', gw.keys.alpha, { resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: 'ALPHA-ONLY-1' }] });
    expect(patient.status).toBe(201);
    patientId = patient.json!.id as string;
    const task = await fhir(gw, 'POST', 'Task', gw.keys.alpha, {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      identifier: [{ system: 'urn:test:task', value: 'ALPHA-TASK-1' }],
      for: { reference: `Patient/${patientId}` },
    });
    expect(task.status).toBe(201);
    taskId = task.json!.id as string;
  });

  afterAll(async () => {
    await gw?.close();
  });

  const missing = 'c0ffee00-0000-4000-8000-000000000000';
  /** The answer with the probed id replaced, so two answers can be compared exactly. */
  const shape = (r: FhirAnswer, id: string) => ({ status: r.status, body: r.text.replaceAll(id, '<id>') });

  test('reads of the other tenant\'s ids answer exactly like missing ids', async () => {
    const probes = [
      (id: string) => `Task/${id}`,
      (id: string) => `Task/${id}/_history`,
      (id: string) => `Task/${id}/_history/1`,
      (id: string) => `Patient/${id}`,
    ];
    let count = 0;
    for (const probe of probes) {
      const id = probe === probes[3] ? patientId : taskId;
      const foreign = await fhir(gw, 'GET', probe(id), gw.keys.beta);
      const absent = await fhir(gw, 'GET', probe(missing), gw.keys.beta);
      expect(shape(foreign, id)).toEqual(shape(absent, missing));
      expect(foreign.text).not.toContain('ALPHA-');
      count += 1;
    }
    // Control: the owner does see them, so the probes would have found a leak.
    expect((await fhir(gw, 'GET', `Task/${taskId}`, gw.keys.alpha)).status).toBe(200);
    console.log(`cross-tenant reads indistinguishable from missing ids (${kind}): ${count}/${probes.length}`);
  });

  test('searches, includes, history and bundles return zero of the other tenant\'s records', async () => {
    const searches = [
      `Task?_id=${taskId}`,
      'Task?identifier=urn:test:task|ALPHA-TASK-1',
      `Task?patient=Patient/${patientId}`,
      'Task?_include=Task:patient',
      `Patient?_id=${patientId}&_revinclude=Task:patient`,
      'Patient?identifier=ALPHA-ONLY-1',
      'Task/_history',
      'Patient/_history',
      'Task?status=requested&_total=accurate',
    ];
    let leaked = 0;
    let probes = 0;
    for (const query of searches) {
      const r = await fhir(gw, 'GET', query, gw.keys.beta);
      expect([query, r.status]).toEqual([query, 200]);
      leaked += ((r.json!.entry as unknown[] | undefined) ?? []).length;
      // The self link echoes the query; everything else must not name alpha's records.
      const { link: _link, ...rest } = r.json!;
      expect(JSON.stringify(rest)).not.toContain(taskId);
      expect(JSON.stringify(rest)).not.toContain(patientId);
      probes += 1;
    }
    const posted = await fetch(new URL('Task/_search', gw.base), {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.keys.beta}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _id: taskId }),
    });
    expect(posted.status).toBe(200);
    leaked += (((await posted.json()) as { entry?: unknown[] }).entry ?? []).length;
    probes += 1;
    const batch = await fhir(gw, 'POST', '', gw.keys.beta, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Task/${taskId}` } },
        { request: { method: 'GET', url: `Task?_id=${taskId}` } },
        { request: { method: 'GET', url: `Patient/${patientId}/_history` } },
      ],
    });
    expect(batch.status).toBe(200);
    const entries = batch.json!.entry as { response: { status: string }; resource?: { entry?: unknown[] } }[];
    expect(entries.map((e) => e.response.status.slice(0, 3))).toEqual(['404', '200', '404']);
    leaked += entries[1].resource?.entry?.length ?? 0;
    expect(batch.text).not.toContain('ALPHA-');
    probes += 3;
    // Control: the same search as the owner finds the record.
    const own = await fhir(gw, 'GET', `Task?_id=${taskId}`, gw.keys.alpha);
    expect((own.json!.entry as unknown[]).length).toBe(1);
    expect(leaked).toBe(0);
    console.log(`cross-tenant search/include/history/batch probes (${kind}): ${probes}, records returned: ${leaked}`);
  });

  test('writes to the other tenant\'s ids are 403 and create no shadow copy', async () => {
    const body = { resourceType: 'Task', id: taskId, status: 'cancelled', intent: 'order' };
    const writes: [string, string, unknown?][] = [
      ['PUT', `Task/${taskId}`, body],
      ['DELETE', `Task/${taskId}`],
      ['PUT', 'Task?identifier=urn:test:task|ALPHA-TASK-1', body],
      ['POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: body, request: { method: 'PUT', url: `Task/${taskId}` } }] }],
      ['POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'DELETE', url: `Patient/${patientId}` } }] }],
      // An id that exists nowhere answers the same way, so a 403 reveals nothing.
      ['PUT', `Task/${missing}`, { ...body, id: missing }],
    ];
    let refused = 0;
    for (const [method, path, payload] of writes) {
      const r = await fhir(gw, method, path, gw.keys.beta, payload);
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(r.text).not.toContain('ALPHA-');
      refused += 1;
    }
    expect((await fhir(gw, 'GET', `Task/${taskId}`, gw.keys.beta)).status).toBe(404);
    expect((await fhir(gw, 'GET', `Task/${missing}`, gw.keys.beta)).status).toBe(404);
    const owner = await fhir(gw, 'GET', `Task/${taskId}`, gw.keys.alpha);
    expect(owner.json).toMatchObject({ status: 'requested', meta: { versionId: '1' } });
    expect((await fhir(gw, 'GET', `Patient/${patientId}`, gw.keys.alpha)).status).toBe(200);
    console.log(`cross-tenant writes refused with 403 (${kind}): ${refused}/${writes.length}, shadow copies: 0`);
  });

  test('a partner still updates its own resources by id', async () => {
    const r = await fhir(gw, 'PUT', `Task/${taskId}`, gw.keys.alpha, { resourceType: 'Task', id: taskId, status: 'accepted', intent: 'order', for: { reference: `Patient/${patientId}` } });
    expect(r.status).toBe(200);
  });

  test('partner credentials do not reach the admin API', async () => {
    for (const path of ['admin/partners', 'admin/AuditEvent', 'admin/dead-letters']) {
      expect((await fhir(gw, 'GET', path, gw.keys.alpha)).status).toBe(401);
    }
  });
});
