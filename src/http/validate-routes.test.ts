// $validate over HTTP (resource-operation-validate.html): 200 with the OperationOutcome for
// any parseable input, 4xx only when there is no resource to validate.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createConformance } from '../conformance/index.ts';
import { packagesDir } from '../../test/support/packages-dir.ts';
import { capturedLogger, listen, type Running } from '../../test/support/http.ts';
import { createApp } from './app.ts';
import { validateModule } from './validate-routes.ts';

const CAREPLAN = 'https://w3id.org/social-care-gateway/fhir/StructureDefinition/case-management-careplan';
const examples = fileURLToPath(new URL('../../examples/careplan', import.meta.url));
const validCarePlan = JSON.parse(readFileSync(path.join(examples, 'valid', 'CarePlan-case-plan-food-security.json'), 'utf8')) as Record<string, unknown>;
let running: Running;

beforeAll(async () => {
  const conformance = await createConformance({ packagesDir: packagesDir() });
  const app = createApp({
    logger: capturedLogger().logger,
    limits: { bodyBytes: 1024 * 1024, jsonDepth: 100 },
    baseUrl: 'http://127.0.0.1/',
    version: 'test',
    readiness: [],
    modules: [validateModule({ conformance })],
  });
  running = await listen(app);
});

afterAll(async () => {
  await running.close();
});

async function post(url: string, body: string): Promise<{ status: number; outcome: OperationOutcome }> {
  const response = await fetch(new URL(url, running.url), { method: 'POST', body, headers: { 'content-type': 'application/fhir+json' } });
  return { status: response.status, outcome: (await response.json()) as OperationOutcome };
}

const errors = (o: OperationOutcome) => (o.issue ?? []).filter((i) => i.severity === 'error').map((i) => i.expression?.[0]);

describe('POST $validate', () => {
  test('a valid resource gets 200 and no errors', async () => {
    const r = await post('/CarePlan/$validate', JSON.stringify(validCarePlan));
    expect(r.status).toBe(200);
    expect(r.outcome.resourceType).toBe('OperationOutcome');
    expect(errors(r.outcome)).toEqual([]);
  });

  test('an invalid resource still gets 200, with the errors and their expressions', async () => {
    const { addresses: _dropped, ...invalid } = validCarePlan;
    const r = await post('/$validate', JSON.stringify(invalid));
    expect(r.status).toBe(200);
    expect(errors(r.outcome)).toContain('CarePlan.addresses');
  });

  test('a Parameters body with resource and profile validates against that profile', async () => {
    const { meta: _meta, addresses: _dropped, ...plain } = validCarePlan;
    const parameters = { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: plain }, { name: 'profile', valueUri: CAREPLAN }] };
    const r = await post('/CarePlan/$validate', JSON.stringify(parameters));
    expect(r.status).toBe(200);
    expect(errors(r.outcome)).toContain('CarePlan.addresses');
  });

  test('the profile can be given in the query', async () => {
    const { meta: _meta, addresses: _dropped, ...plain } = validCarePlan;
    const r = await post(`/$validate?${new URLSearchParams({ profile: CAREPLAN })}`, JSON.stringify(plain));
    expect(errors(r.outcome)).toContain('CarePlan.addresses');
  });

  test('numbers are checked on their source text: 1.0 is not an integer', async () => {
    const text = '{"resourceType":"Task","status":"draft","intent":"order","restriction":{"repetitions":1.0}}';
    const r = await post('/Task/$validate', text);
    expect(r.status).toBe(200);
    expect(errors(r.outcome)).toContain('Task.restriction.repetitions');
  });

  test('a resource of another type than the URL names is an error in the outcome', async () => {
    const r = await post('/Patient/$validate', JSON.stringify(validCarePlan));
    expect(r.status).toBe(200);
    expect(errors(r.outcome)).toContain('resourceType');
  });

  test('a body that is not a resource is 400', async () => {
    const r = await post('/$validate', '[1, 2]');
    expect(r.status).toBe(400);
    expect(r.outcome.resourceType).toBe('OperationOutcome');
  });
});
