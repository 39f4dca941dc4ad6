// A gateway (no EHR configured, so nothing runs on its own) beside the reference EHR over
// real HTTP, with a sync engine for that EHR using short waits, and referral seeding.
import type { Organization, Patient, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../src/sync/sync-engine.ts';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { startReferenceEhr, type ReferenceEhr, type ReferenceEhrOptions } from '../support/reference-ehr.ts';
import { startTestGateway, type StoreKind, type TestGateway } from '../support/gateway.ts';

export const EHR_NAME = 'test-ehr';
export const OWNER = 'Organization/food-bank';
export const REFERRAL_SYSTEM = 'urn:test:referral';

export interface Harness {
  ehr: ReferenceEhr;
  gateway: TestGateway;
  engine: SyncEngine;
  newEngine(overrides?: Partial<SyncEngineOptions>): SyncEngine;
  close(): Promise<void>;
}

export async function startHarness(options: { kind?: StoreKind; ehr?: ReferenceEhrOptions; engine?: Partial<SyncEngineOptions> } = {}): Promise<Harness> {
  const ehr = await startReferenceEhr(options.ehr);
  const gateway = await startTestGateway(options.kind ?? 'sqlite', { ehrs: [], logLevel: 'warn' }, { schedules: false });
  const newEngine = (overrides: Partial<SyncEngineOptions> = {}): SyncEngine =>
    createSyncEngine({
      store: gateway.store,
      rest: gateway.rest,
      settings: gateway.settings,
      ehrs: [{ name: EHR_NAME, baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [OWNER], pollSchedule: '*/15 * * * *', timeoutMs: 2_000 }],
      maxAttempts: 50,
      backoff: { baseMs: 5, maxMs: 40 },
      overlapMs: 2_000,
      clientOverrides: { maxAttempts: 2, backoffBaseMs: 5, backoffMaxMs: 20, maxRetryAfterMs: 5_000 },
      ...options.engine,
      ...overrides,
    });
  return {
    ehr,
    gateway,
    engine: newEngine(),
    newEngine,
    close: async () => {
      await gateway.close();
      await ehr.close();
    },
  };
}

/** Posts a referral (Patient, ServiceRequest, Task owned by OWNER) to the EHR; returns the Task. `headers`: e.g. a token for an EHR that requires one. */
export async function seedReferral(ehr: ReferenceEhr, n: number | string, headers: Record<string, string> = {}): Promise<Task> {
  const post = async <T>(resource: object): Promise<T> => {
    const res = await fetch(new URL((resource as { resourceType: string }).resourceType, ehr.baseUrl), {
      method: 'POST',
      body: JSON.stringify(resource),
      headers: { 'content-type': 'application/fhir+json', ...headers },
    });
    if (res.status !== 201) {
      throw new Error(`seed failed with ${res.status}`);
    }
    return (await res.json()) as T;
  };
  const patient = await post<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: `mrn-${n}` }], name: [{ family: 'Test', given: [`P${n}`] }] });
  const sr = await post<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '464061000124106', display: 'Referral to food pantry program' }] },
    subject: { reference: `Patient/${patient.id}` },
  });
  return post<Task>({
    resourceType: 'Task',
    identifier: [{ system: REFERRAL_SYSTEM, value: `ref-${n}` }],
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: `ServiceRequest/${sr.id}` },
    for: { reference: `Patient/${patient.id}` },
    authoredOn: '2026-11-01T10:00:00Z',
    owner: { reference: OWNER },
  });
}

export async function seedOrganization(ehr: ReferenceEhr): Promise<void> {
  const org: Organization = { resourceType: 'Organization', id: 'food-bank', name: 'Food bank' };
  await fetch(new URL('Organization/food-bank', ehr.baseUrl), { method: 'PUT', body: JSON.stringify(org), headers: { 'content-type': 'application/fhir+json' } });
}

export async function readEhrTask(ehr: ReferenceEhr, id: string, headers: Record<string, string> = {}): Promise<Task> {
  return (await (await fetch(new URL(`Task/${id}`, ehr.baseUrl), { headers })).json()) as Task;
}

/** The platform copy of an EHR Task. */
export async function localTask(gateway: TestGateway, ehrId: string): Promise<{ task: Task; versionId: string } | undefined> {
  const version = await gateway.store.readResource<Task>(gateway.settings.tenant, 'Task', localIdOf(EHR_NAME, 'Task', ehrId));
  return version ? { task: version.resource, versionId: version.versionId } : undefined;
}

/**
 * What a partner's progress does to a source Task (the coordinator's reflection): a new
 * platform version with `status` and an outcome Procedure, and the outbox item, in one transaction.
 */
export async function progressLocally(gateway: TestGateway, ehrId: string, status: Task['status'], withProcedure: boolean): Promise<string | undefined> {
  const tenant = gateway.settings.tenant;
  const localId = localIdOf(EHR_NAME, 'Task', ehrId);
  return gateway.store.transaction(async (tx) => {
    const current = await tx.readResource<Task>(tenant, 'Task', localId);
    if (!current) {
      throw new Error('no local copy');
    }
    const task: Task & { id: string } = { ...current.resource, id: localId, status };
    let procedureId: string | undefined;
    if (withProcedure) {
      procedureId = `outcome-${localId.slice(4, 30)}`;
      const procedure: Procedure & { id: string } = {
        resourceType: 'Procedure',
        id: procedureId,
        status: 'completed',
        code: { text: 'Food pantry visit' },
        subject: { reference: current.resource.for?.reference ?? 'Patient/unknown' },
      };
      await tx.updateResource(tenant, procedure);
      task.output = [{ type: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'resulting-activity' }] }, valueReference: { reference: `Procedure/${procedureId}` } }];
    }
    await tx.updateResource(tenant, task, { ifMatch: current.versionId });
    await tx.enqueue({ destination: `ehr:${EHR_NAME}`, orderingKey: `Task/${localId}`, reason: 'source-task-changed', payload: { tenant, resourceType: 'Task', id: localId } });
    return procedureId;
  });
}
