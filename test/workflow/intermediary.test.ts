// SDOHCC STU3 intermediary rules refer-1 / refer-2 on the IG's own example referral:
// local copies, downstream pairs (validated against the SDOHCC profiles), status
// reflection, fan-out, re-referral after rejection and outcomes copied back.
import type { Condition, Organization, Patient, PractitionerRole, Procedure, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM, party } from '../../src/workflow/actor.ts';
import { buildDownstreamReferral, buildFanOut, buildReReferral, downstreamOf } from '../../src/workflow/downstream.ts';
import { type PlatformContext, type SourceReferral, buildLocalCopies, planLocalCopies } from '../../src/workflow/local-copies.ts';
import { copyOutcomesBack } from '../../src/workflow/outcomes-back.ts';
import { propagateSourceClosure, reflectOnSource } from '../../src/workflow/status-reflection.ts';
import { checkTaskChange } from '../../src/workflow/task-change.ts';
import { packagesDir, packagesSkipReason } from '../support/packages-dir.ts';
import { type ProfileValidator, profileValidator, readExample } from './support/profile-validator.ts';

const EHR = 'https://ehr.example.org/fhir';
const GATEWAY = 'https://gateway.example.org/fhir';
const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition';
const ctx: PlatformContext = { baseUrl: GATEWAY, organization: { reference: 'Organization/SDOHCC-OrganizationCoordinationPlatformExample' } };
const WIC: Reference<Organization> = { reference: 'Organization/SDOHCC-OrganizationWICCommunityOrganizationExample' };
const PANTRY: Reference<Organization> = { reference: 'Organization/food-pantry' };
const SHELTER: Reference<Organization> = { reference: 'Organization/shelter' };
const NOW = '2026-03-02T09:00:00Z';

const hasPackages = packagesDir() !== undefined;

describe.skipIf(!hasPackages)('SDOHCC intermediary (refer-1, refer-2) on the IG example referral', () => {
  let validator: ProfileValidator;
  let source: SourceReferral;
  let fetched: Map<string, Resource>;

  beforeAll(async () => {
    validator = (await profileValidator()) as ProfileValidator;
    const task = readExample<Task>('Task-SDOHCC-TaskReferralManagementOrderFulfillmentAcceptedExample.json');
    const serviceRequest = readExample<ServiceRequest>('ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json');
    serviceRequest.supportingInfo = [{ reference: 'Consent/SDOHCC-ConsentInformationDisclosureExample' }];
    // The EHR posted the Task to the gateway (posted Task, remote ServiceRequest): the Task's
    // references are absolute to the EHR, as the IG asks across servers.
    source = {
      task: { ...task, status: 'requested', focus: { reference: `${EHR}/ServiceRequest/${serviceRequest.id}` }, for: { reference: `${EHR}/Patient/pat-53234` }, requester: { reference: `${EHR}/${task.requester?.reference}` } },
      serviceRequest,
      taskBase: EHR,
    };
    fetched = new Map<string, Resource>([
      [`${EHR}/ServiceRequest/${serviceRequest.id}`, serviceRequest],
      [`${EHR}/Patient/pat-53234`, readExample<Patient>('Patient-pat-53234.json')],
      [`${EHR}/PractitionerRole/SDOHCC-PractitionerRoleDrJanWaterExample`, readExample<PractitionerRole>('PractitionerRole-SDOHCC-PractitionerRoleDrJanWaterExample.json')],
      [`${EHR}/Condition/SDOHCC-ConditionFoodInsecurityExample`, readExample<Condition>('Condition-SDOHCC-ConditionFoodInsecurityExample.json')],
      [`${EHR}/Consent/SDOHCC-ConsentInformationDisclosureExample`, readExample('Consent-SDOHCC-ConsentInformationDisclosureExample.json')],
    ]);
  });

  it(`uses a validator (${hasPackages ? 'packages found' : packagesSkipReason})`, () => {
    expect(['conformance', 'medplum-base+differential']).toContain(validator.engine);
  });

  it('refer-1: plans a copy of every remote resource the Task and ServiceRequest reference, once each, with stable ids', () => {
    const plan = planLocalCopies(source, ctx);
    expect(plan.map((e) => e.original).sort()).toEqual([...fetched.keys()].sort());
    expect(plan.every((e) => e.localReference === `${e.resourceType}/${e.localId}` && /^[A-Za-z0-9\-.]{1,64}$/.test(e.localId))).toBe(true);
    expect(planLocalCopies(source, ctx)).toEqual(plan);
    const patient = plan.find((e) => e.resourceType === 'Patient');
    expect(patient?.paths).toEqual(['Task.for', 'ServiceRequest.subject']);
  });

  it('refer-1: builds copies whose references point at the other copies or stay absolute to the source', () => {
    const plan = planLocalCopies(source, ctx);
    const { copies, issues } = buildLocalCopies(plan, fetched);
    expect(issues).toEqual([]);
    const sr = copies.find((c) => c.resourceType === 'ServiceRequest') as ServiceRequest;
    const patientCopy = plan.find((e) => e.resourceType === 'Patient')?.localReference;
    expect(sr.subject.reference).toBe(patientCopy);
    expect(sr.meta?.source).toBe(`${EHR}/ServiceRequest/${source.serviceRequest.id}`);
    expect(sr.reasonReference?.[0].reference).toBe(plan.find((e) => e.resourceType === 'Condition')?.localReference);
    for (const copy of copies) {
      expect(validator.errors(copy)).toEqual([]);
    }
  });

  it('refer-1: names what could not be copied', () => {
    const plan = planLocalCopies(source, ctx);
    const partial = new Map([...fetched].filter(([url]) => !url.includes('/Condition/')));
    const { copies, issues } = buildLocalCopies(plan, partial);
    expect(copies).toHaveLength(plan.length - 1);
    expect(issues.map((i) => i.expression)).toEqual([['ServiceRequest.reasonReference[0]']]);
  });

  it('refer-2: builds a downstream ServiceRequest and Task valid against the SDOHCC profiles', () => {
    const { serviceRequest, task } = buildDownstreamReferral(source, WIC, ctx, NOW);
    const plan = planLocalCopies(source, ctx);
    const patientCopy = plan.find((e) => e.resourceType === 'Patient')?.localReference;
    expect(serviceRequest.intent).toBe('filler-order');
    expect(serviceRequest.basedOn).toEqual([{ reference: `${EHR}/ServiceRequest/${source.serviceRequest.id}` }]);
    expect(serviceRequest.subject.reference).toBe(patientCopy);
    expect(serviceRequest.performer).toEqual([WIC]);
    expect(serviceRequest.requester).toEqual(ctx.organization);
    expect(task).toMatchObject({
      status: 'requested',
      intent: 'order',
      partOf: [{ reference: `${EHR}/Task/${source.task.id}` }],
      focus: { reference: `ServiceRequest/${serviceRequest.id}` },
      for: { reference: patientCopy },
      owner: WIC,
      requester: ctx.organization,
      authoredOn: NOW,
    });
    expect(task.code?.coding?.[0]).toMatchObject({ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' });
    expect(validator.errors(serviceRequest, `${SDOHCC}/SDOHCC-ServiceRequest`)).toEqual([]);
    expect(validator.errors(task, `${SDOHCC}/SDOHCC-TaskForReferralManagement`)).toEqual([]);
    expect(checkTaskChange(undefined, task, PLATFORM)).toEqual([]);
  });

  it('the profile check can fail: a Task without focus and with intent plan is refused', () => {
    const { task } = buildDownstreamReferral(source, WIC, ctx, NOW);
    const broken: Task = { ...task, intent: 'plan' };
    delete broken.focus;
    expect(validator.errors(broken, `${SDOHCC}/SDOHCC-TaskForReferralManagement`).length).toBeGreaterThan(0);
  });

  it('refer-2: the same source and target always give the same ids; another target other ids', () => {
    const a = buildDownstreamReferral(source, WIC, ctx, NOW);
    const again = buildDownstreamReferral(source, WIC, ctx, '2026-03-03T00:00:00Z');
    const other = buildDownstreamReferral(source, PANTRY, ctx, NOW);
    expect(again.task.id).toBe(a.task.id);
    expect(again.serviceRequest.id).toBe(a.serviceRequest.id);
    expect(other.task.id).not.toBe(a.task.id);
  });

  it('keeps local references relative when the source Task and ServiceRequest live on the gateway', () => {
    const local: SourceReferral = {
      task: {
        ...source.task,
        focus: { reference: `ServiceRequest/${source.serviceRequest.id}` },
        for: { reference: 'Patient/pat-53234' },
        requester: { reference: 'PractitionerRole/SDOHCC-PractitionerRoleDrJanWaterExample' },
      },
      serviceRequest: source.serviceRequest,
    };
    expect(planLocalCopies(local, ctx)).toEqual([]);
    const { serviceRequest, task } = buildDownstreamReferral(local, WIC, ctx, NOW);
    expect(serviceRequest.basedOn).toEqual([{ reference: `ServiceRequest/${source.serviceRequest.id}` }]);
    expect(task.partOf).toEqual([{ reference: `Task/${source.task.id}` }]);
    expect(task.for).toEqual({ reference: 'Patient/pat-53234' });
  });

  it('reflects the downstream life cycle on the source, step by step, and copies the outcome back', () => {
    const pair = buildDownstreamReferral(source, WIC, ctx, NOW);
    const cbo = party(`${GATEWAY}/${WIC.reference}`);
    const accepted: Task = { ...pair.task, status: 'accepted', meta: { lastUpdated: '2026-03-02T10:00:00Z' } };
    expect(checkTaskChange(pair.task, accepted, cbo)).toEqual([]);
    let r = reflectOnSource(source.task, [accepted], NOW);
    expect(r.versions.map((v) => v.status)).toEqual(['accepted']);

    const started: Task = { ...accepted, status: 'in-progress' };
    expect(checkTaskChange(accepted, started, cbo)).toEqual([]);
    r = reflectOnSource(r.versions[0], [started], NOW);
    expect(r.versions.map((v) => v.status)).toEqual(['in-progress']);

    const procedure: Procedure = {
      ...readExample<Procedure>('Procedure-SDOHCC-ProcedureFoodPantryApplicationAssistanceExample.json'),
      id: 'proc-at-cbo',
      basedOn: [{ reference: `ServiceRequest/${pair.serviceRequest.id}` }],
      subject: { reference: pair.task.for?.reference ?? '' },
    };
    delete procedure.reasonReference;
    const completed: Task = {
      ...started,
      status: 'completed',
      output: [{ type: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'resulting-activity' }] }, valueReference: { reference: 'Procedure/proc-at-cbo' } }],
    };
    expect(checkTaskChange(started, completed, cbo)).toEqual([]);
    r = reflectOnSource(r.versions[0], [completed], NOW);
    expect(r.versions.map((v) => v.status)).toEqual(['completed']);
    expect(r.issues).toEqual([]);

    const back = copyOutcomesBack({ ...source, task: r.versions[0] }, completed, [procedure], ctx);
    expect(back.issues).toEqual([]);
    expect(back.procedures).toHaveLength(1);
    const copy = back.procedures[0];
    // Seen from the EHR, which holds the source: its own resources are relative.
    expect(copy.basedOn).toEqual([{ reference: `ServiceRequest/${source.serviceRequest.id}` }]);
    expect(copy.subject).toEqual({ reference: 'Patient/pat-53234' });
    expect(back.task.output).toEqual([
      { type: expect.objectContaining({ coding: [expect.objectContaining({ code: 'resulting-activity' })] }), valueReference: { reference: `Procedure/${copy.id}` } },
    ]);
    expect(validator.errors(copy, `${SDOHCC}/SDOHCC-Procedure`)).toEqual([]);
    expect(validator.errors(back.task, `${SDOHCC}/SDOHCC-TaskForReferralManagement`)).toEqual([]);
    // Copying again adds nothing and gives the same ids.
    const twice = copyOutcomesBack({ ...source, task: back.task }, completed, [procedure], ctx);
    expect(twice.task.output).toHaveLength(1);
    expect(twice.procedures[0].id).toBe(copy.id);
  });

  it('warns when an output names a Procedure it was not given', () => {
    const pair = buildDownstreamReferral(source, WIC, ctx, NOW);
    const done: Task = { ...pair.task, status: 'completed', output: [{ type: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'resulting-activity' }] }, valueReference: { reference: 'Procedure/missing' } }] };
    const back = copyOutcomesBack(source, done, [], ctx);
    expect(back.issues.map((i) => [i.severity, i.expression])).toEqual([['warning', ['Task.output[0].value.ofType(Reference)']]]);
    expect(back.task).toBe(source.task);
  });

  it('moves the source through intermediate statuses when the downstream skipped ahead', () => {
    const pair = buildDownstreamReferral(source, WIC, ctx, NOW);
    const r = reflectOnSource(source.task, [{ ...pair.task, status: 'in-progress' }], NOW);
    expect(r.versions.map((v) => v.status)).toEqual(['accepted', 'in-progress']);
    r.versions.reduce((prev, next) => {
      expect(checkTaskChange(prev, next, PLATFORM).filter((i) => i.severity === 'error')).toEqual([]);
      return next;
    }, source.task);
  });

  it('fans out, keeps the source open while any target may still answer, re-refers after a rejection', () => {
    const pairs = buildFanOut(source, [WIC, PANTRY, WIC], ctx, NOW);
    expect(pairs.map((p) => p.task.owner)).toEqual([WIC, PANTRY]);
    const wicRejected: Task = { ...pairs[0].task, status: 'rejected', statusReason: { text: 'No capacity this month' }, meta: { lastUpdated: '2026-03-02T11:00:00Z' } };
    let tasks: Task[] = [wicRejected, pairs[1].task];
    expect(reflectOnSource(source.task, tasks, NOW).versions).toEqual([]);

    // Re-referral to a third organisation; the open target is refused a second one.
    const refused = buildReReferral(source, tasks, PANTRY, ctx, NOW);
    expect(refused.pair).toBeUndefined();
    expect(refused.issues[0].details?.text).toBe('SDOHCC re-referral: the target already holds an open downstream Task for this referral');
    const re = buildReReferral(source, tasks, SHELTER, ctx, NOW);
    expect(re.issues).toEqual([]);
    tasks = [...tasks, (re.pair as { task: Task }).task];
    expect(downstreamOf(source, tasks, ctx)).toHaveLength(3);
    // Re-referral to the organisation that declined: a new attempt with new ids.
    const again = buildReReferral(source, tasks, WIC, ctx, NOW);
    expect(again.pair?.task.id).not.toBe(pairs[0].task.id);

    const pantryRejected: Task = { ...pairs[1].task, status: 'rejected', statusReason: { text: 'Outside service area' }, meta: { lastUpdated: '2026-03-02T12:00:00Z' } };
    tasks = [wicRejected, pantryRejected, (re.pair as { task: Task }).task];
    expect(reflectOnSource(source.task, tasks, NOW).versions).toEqual([]);
    const shelterRejected: Task = { ...tasks[2], status: 'rejected', statusReason: { text: 'Not eligible' }, meta: { lastUpdated: '2026-03-02T13:00:00Z' } };
    const all = reflectOnSource(source.task, [wicRejected, pantryRejected, shelterRejected], NOW);
    expect(all.versions.map((v) => [v.status, v.statusReason?.text])).toEqual([['rejected', 'Not eligible']]);
    expect(validator.errors(all.versions[0], `${SDOHCC}/SDOHCC-TaskForReferralManagement`)).toEqual([]);
    expect(buildReReferral({ ...source, task: all.versions[0] }, tasks, WIC, ctx, NOW).issues[0].details?.text).toBe(
      'SDOHCC re-referral: the source Task is rejected and can no longer be referred on',
    );
  });

  it('cancels open downstream Tasks when the requester withdraws the source', () => {
    const pairs = buildFanOut(source, [WIC, PANTRY], ctx, NOW);
    const done: Task = { ...pairs[1].task, status: 'completed' };
    const withdrawn: Task = { ...source.task, status: 'cancelled', statusReason: { text: 'Patient moved away' } };
    const cancelled = propagateSourceClosure(withdrawn, [pairs[0].task, done], NOW);
    expect(cancelled.map((t) => [t.id, t.status, t.statusReason?.text])).toEqual([[pairs[0].task.id, 'cancelled', 'Patient moved away']]);
    expect(checkTaskChange(pairs[0].task, cancelled[0], PLATFORM)).toEqual([]);
    expect(propagateSourceClosure(source.task, [pairs[0].task], NOW)).toEqual([]);
  });
});
