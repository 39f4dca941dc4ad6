// Consent gate decisions and minimum necessary disclosure (SDOHCC-Consent referenced from
// ServiceRequest.supportingInfo; FHIR R4 consent.html; 42 CFR 2.32).
import type { Condition, Consent, Observation, Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { consentDecision, type ConsentDenial } from '../../src/workflow/consent.ts';
import { minimumNecessary, PART2_NOTICE } from '../../src/workflow/minimum-necessary.ts';

const CBO = 'Organization/cbo-1';
const NOW = '2026-03-02T09:00:00Z';

const sr: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'sr-1',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p-1' },
  code: { text: 'food' },
  performer: [{ reference: CBO }],
  supportingInfo: [{ reference: 'Consent/c-1' }],
  reasonReference: [{ reference: 'Condition/food' }],
};

function consent(overrides: Partial<Consent> = {}): Consent {
  return {
    resourceType: 'Consent',
    id: 'c-1',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
    patient: { reference: 'Patient/p-1' },
    dateTime: '2026-01-01',
    provision: { period: { start: '2026-01-01', end: '2026-06-30' }, actor: [{ role: { coding: [{ code: 'IRCP' }] }, reference: { reference: CBO } }] },
    ...overrides,
  };
}

const required = { requiresConsent: true };
type Expect = 'consent-in-force' | 'consent-not-required' | ConsentDenial;

const CASES: { name: string; sr?: ServiceRequest; consents: Consent[]; policy?: { requiresConsent: boolean }; now?: string; expected: Expect }[] = [
  { name: 'valid consent naming the recipient', consents: [consent()], expected: 'consent-in-force' },
  { name: 'policy does not require consent', consents: [], policy: { requiresConsent: false }, expected: 'consent-not-required' },
  { name: 'no Consent referenced', sr: { ...sr, supportingInfo: undefined }, consents: [consent()], expected: 'consent-missing' },
  { name: 'referenced Consent not held', consents: [consent({ id: 'other' })], expected: 'consent-missing' },
  { name: 'revoked (inactive)', consents: [consent({ status: 'inactive' })], expected: 'consent-revoked' },
  { name: 'revoked (rejected)', consents: [consent({ status: 'rejected' })], expected: 'consent-revoked' },
  { name: 'proposed', consents: [consent({ status: 'proposed' })], expected: 'consent-not-active' },
  { name: 'expired', consents: [consent()], now: '2026-07-01T00:00:00Z', expected: 'consent-expired' },
  { name: 'valid on the last day of a date-only period', consents: [consent()], now: '2026-06-30T23:59:00Z', expected: 'consent-in-force' },
  { name: 'not yet in force', consents: [consent()], now: '2025-12-31T23:00:00Z', expected: 'consent-not-yet-valid' },
  { name: 'other patient', consents: [consent({ patient: { reference: 'Patient/p-2' } })], expected: 'consent-other-patient' },
  { name: 'names another recipient', consents: [consent({ provision: { actor: [{ role: { text: 'IRCP' }, reference: { reference: 'Organization/cbo-2' } }] } })], expected: 'consent-recipient-not-covered' },
  { name: 'not restricted to recipients', consents: [consent({ provision: { period: { start: '2026-01-01' } } })], expected: 'consent-in-force' },
  { name: 'no provision at all', consents: [consent({ provision: undefined })], expected: 'consent-in-force' },
  { name: 'deny provision', consents: [consent({ provision: { type: 'deny' } })], expected: 'consent-denies' },
  {
    name: 'absolute reference to the Consent',
    sr: { ...sr, supportingInfo: [{ reference: 'https://ehr.example.org/fhir/Consent/c-1' }] },
    consents: [consent()],
    expected: 'consent-in-force',
  },
  {
    name: 'one revoked, one valid',
    sr: { ...sr, supportingInfo: [{ reference: 'Consent/c-0' }, { reference: 'Consent/c-1' }] },
    consents: [consent({ id: 'c-0', status: 'inactive' }), consent()],
    expected: 'consent-in-force',
  },
];

describe('consent gate', () => {
  it.each(CASES)('$name -> $expected', ({ sr: request, consents, policy, now, expected }) => {
    const decision = consentDecision({ serviceRequest: request ?? sr, consents, policy: policy ?? required, now: now ?? NOW });
    expect(decision.reason).toBe(expected);
    expect(decision.allowed).toBe(expected === 'consent-in-force' || expected === 'consent-not-required');
    if (!decision.allowed) {
      expect(decision.issues.length).toBeGreaterThan(0);
      expect(decision.issues.every((i) => i.code === 'business-rule' && (i.expression?.length ?? 0) > 0)).toBe(true);
    }
  });

  it('stops disclosure once the consent is revoked', () => {
    const before = consentDecision({ serviceRequest: sr, consents: [consent()], policy: required, now: NOW });
    const after = consentDecision({ serviceRequest: sr, consents: [consent({ status: 'inactive' })], policy: required, now: NOW });
    expect([before.allowed, after.allowed]).toEqual([true, false]);
  });

  it('tells a missing reference from a referenced Consent that is not available', () => {
    const none = consentDecision({ serviceRequest: { ...sr, supportingInfo: undefined }, consents: [], policy: required, now: NOW });
    const unavailable = consentDecision({ serviceRequest: sr, consents: [], policy: required, now: NOW });
    expect(none.allowed || none.issues[0].details?.text).toBe('Consent gate: the referral requires consent and its ServiceRequest references no Consent');
    expect(unavailable.allowed || unavailable.issues[0].details?.text).toBe('Consent gate: the Consent the referral references is not available');
  });

  it('uses an explicit recipient over ServiceRequest.performer', () => {
    const d = consentDecision({ serviceRequest: sr, consents: [consent()], policy: required, now: NOW, recipient: { reference: 'Organization/cbo-9' } });
    expect(d.reason).toBe('consent-recipient-not-covered');
  });
});

describe('minimum necessary disclosure', () => {
  const task: Task = { resourceType: 'Task', id: 't-1', status: 'requested', intent: 'order', focus: { reference: 'ServiceRequest/sr-1' } };
  const patient: Patient = {
    resourceType: 'Patient',
    id: 'p-1',
    identifier: [
      { system: 'urn:mrn', value: 'm1' },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: '000' },
    ],
    name: [{ family: 'Doe' }],
    telecom: [{ system: 'phone', value: '555' }],
    birthDate: '1990-01-01',
    maritalStatus: { text: 'x' },
    extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', valueString: 'x' }],
  };
  const food: Condition = { resourceType: 'Condition', id: 'food', subject: { reference: 'Patient/p-1' } };
  const hiv: Condition = { resourceType: 'Condition', id: 'hiv', subject: { reference: 'Patient/p-1' } };
  const labs: Observation = { resourceType: 'Observation', id: 'o-1', status: 'final', code: { text: 'x' } };
  const c = consent();

  function keys(rs: Resource[]): string[] {
    return rs.map((r) => `${r.resourceType}/${r.id}`);
  }

  it('shares the Task, ServiceRequest, Consent, related condition and contact demographics; withholds the rest', () => {
    const d = minimumNecessary({ task, serviceRequest: sr, patient, resources: [food, hiv, labs, c], consentInForce: true });
    expect(keys(d.resources)).toEqual(['Task/t-1', 'ServiceRequest/sr-1', 'Patient/p-1', 'Condition/food', 'Consent/c-1']);
    expect(d.withheld).toEqual(['Condition/hiv', 'Observation/o-1']);
    const shared = d.resources[2] as Patient;
    expect(Object.keys(shared).sort()).toEqual(['birthDate', 'id', 'identifier', 'name', 'resourceType', 'telecom']);
    expect(shared.identifier).toEqual([{ system: 'urn:mrn', value: 'm1' }]);
    expect(d.notice).toBeUndefined();
  });

  it('adds the 42 CFR Part 2 notice and no-redisclosure label to Part 2 records under consent', () => {
    const sud: Condition = { ...food, meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: '42CFRPart2' }] } };
    const d = minimumNecessary({ task, serviceRequest: sr, patient, resources: [sud], consentInForce: true });
    expect(d.notice).toBe(PART2_NOTICE);
    const shared = d.resources.find((r) => r.id === 'food');
    expect(shared?.meta?.security?.map((s) => s.code)).toEqual(['42CFRPart2', 'NORDSCLCD']);
    expect(sud.meta?.security).toHaveLength(1);
  });

  it('withholds Part 2 records without a consent in force', () => {
    const sud: Condition = { ...food, meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: '42CFRPart2' }] } };
    const d = minimumNecessary({ task, serviceRequest: sr, patient, resources: [sud], consentInForce: false });
    expect(d.withheld).toEqual(['Condition/food']);
    expect(d.notice).toBeUndefined();
  });
});
