// Share only what a referral needs (SDOHCC.md "Security and privacy"; HIPAA minimum
// necessary): the target organisation gets the Task, the ServiceRequest, the Consent(s) it
// references, what the ServiceRequest names as its reasons, goals and supporting
// information, and the patient's demographics needed for contact. Unrelated resources
// (other conditions, observations, ...) are withheld. Resources labelled as 42 CFR Part 2
// records are shared only under a consent in force and then carry the redisclosure
// prohibition (42 CFR 2.32 notice; v3-ActCode NORDSCLCD security label).
import type { Coding, Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { collectReferences } from './reference-rewrite.ts';
import { sameTarget } from './references.ts';
import { PERTAINS_TO_GOAL } from './sdohcc.ts';

export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** 42 CFR 2.32(a)(2): the abbreviated redisclosure notice. */
export const PART2_NOTICE = '42 CFR part 2 prohibits unauthorized use or disclosure of these records.';

export const NO_REDISCLOSURE: Coding = { system: ACT_CODE, code: 'NORDSCLCD', display: 'no redisclosure without consent directive' };

/** Patient elements needed to contact the person (FHIR R4 Patient). */
export const PATIENT_CONTACT_ELEMENTS = ['resourceType', 'id', 'meta', 'identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'address', 'communication'] as const;

/** Identifier systems never passed on (US SSN: not needed for contact). */
const WITHHELD_IDENTIFIER_SYSTEMS = ['http://hl7.org/fhir/sid/us-ssn'];

export interface MinimumNecessaryInput {
  task: Task;
  serviceRequest: ServiceRequest;
  patient: Patient;
  /** Everything else the gateway holds that might be related. */
  resources: readonly Resource[];
  /** Whether the consent gate found a consent in force (Part 2 records need one). */
  consentInForce: boolean;
}

export interface Disclosure {
  resources: Resource[];
  /** `Type/id` of what was held back. */
  withheld: string[];
  /** Redisclosure notice to show with the disclosure, when a Part 2 record is in it. */
  notice?: string;
}

export function isPart2(resource: Resource): boolean {
  return (resource.meta?.security ?? []).some((c) => c.system === ACT_CODE && (c.code === '42CFRPart2' || c.code === 'ETH'));
}

export function patientForContact(patient: Patient): Patient {
  const out: Record<string, unknown> = {};
  for (const key of PATIENT_CONTACT_ELEMENTS) {
    const value = (patient as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  const reduced = out as unknown as Patient;
  if (reduced.identifier) {
    reduced.identifier = reduced.identifier.filter((i) => !WITHHELD_IDENTIFIER_SYSTEMS.includes(i.system ?? ''));
  }
  return reduced;
}

function withNoRedisclosure(resource: Resource): Resource {
  const security = resource.meta?.security ?? [];
  if (security.some((c) => c.system === ACT_CODE && c.code === 'NORDSCLCD')) {
    return resource;
  }
  return { ...resource, meta: { ...resource.meta, security: [...security, NO_REDISCLOSURE] } } as Resource;
}

function key(r: Resource): string {
  return `${r.resourceType}/${r.id ?? ''}`;
}

export function minimumNecessary(input: MinimumNecessaryInput): Disclosure {
  const sr = input.serviceRequest;
  const needed = [
    ...(sr.supportingInfo ?? []),
    ...(sr.reasonReference ?? []),
    ...collectReferences({ resourceType: 'ServiceRequest', extension: (sr.extension ?? []).filter((e) => e.url === PERTAINS_TO_GOAL) }).map((r) => ({
      reference: r.reference,
    })),
  ]
    .map((r) => r.reference)
    .filter((r): r is string => r !== undefined);

  const chosen: Resource[] = [input.task, sr, patientForContact(input.patient)];
  const withheld: string[] = [];
  for (const resource of input.resources) {
    const k = key(resource);
    if (chosen.some((c) => key(c) === k)) {
      continue;
    }
    if (needed.some((ref) => sameTarget(ref, k))) {
      chosen.push(resource);
    } else {
      withheld.push(k);
    }
  }
  const shared: Resource[] = [];
  let part2 = false;
  for (const resource of chosen) {
    if (!isPart2(resource)) {
      shared.push(resource);
    } else if (input.consentInForce) {
      part2 = true;
      shared.push(withNoRedisclosure(resource));
    } else {
      withheld.push(key(resource));
    }
  }
  return part2 ? { resources: shared, withheld, notice: PART2_NOTICE } : { resources: shared, withheld };
}
