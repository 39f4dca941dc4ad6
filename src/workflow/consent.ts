// Consent gate (SDOHCC.md "Security and privacy"; SDOHCC-ServiceRequest.supportingInfo
// carries the SDOHCC-Consent of the referral): a referral whose policy requires consent is
// disclosed to an organisation only while a referenced Consent is in force for that patient
// and that recipient. FHIR R4 consent.html: status active, provision.period, provision.actor
// (role IRCP = information recipient; no actor = not restricted to named recipients),
// provision.type deny.
import type { Consent, OperationOutcomeIssue, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { parseReference, sameTarget } from './references.ts';

export interface ConsentPolicy {
  /** The referral may be disclosed only under a valid consent. */
  requiresConsent: boolean;
}

export type ConsentDenial =
  | 'consent-missing'
  | 'consent-revoked'
  | 'consent-not-active'
  | 'consent-expired'
  | 'consent-not-yet-valid'
  | 'consent-other-patient'
  | 'consent-recipient-not-covered'
  | 'consent-denies';

export type ConsentDecision =
  | { allowed: true; reason: 'consent-not-required' | 'consent-in-force'; consent?: Consent }
  | { allowed: false; reason: ConsentDenial; issues: OperationOutcomeIssue[] };

export interface ConsentDecisionInput {
  serviceRequest: ServiceRequest;
  /** Candidate Consents (those the ServiceRequest references are used; others ignored). */
  consents: readonly Consent[];
  policy: ConsentPolicy;
  /** ISO dateTime of the disclosure. */
  now: string;
  /** The organisation receiving the referral; defaults to ServiceRequest.performer[0]. */
  recipient?: Reference;
}

const TEXT: Record<ConsentDenial, string> = {
  'consent-missing': 'Consent gate: the referral requires consent and its ServiceRequest references no Consent',
  'consent-revoked': 'Consent gate: the referenced Consent has been revoked',
  'consent-not-active': 'Consent gate: the referenced Consent is not active',
  'consent-expired': 'Consent gate: the referenced Consent has expired',
  'consent-not-yet-valid': 'Consent gate: the referenced Consent is not yet in force',
  'consent-other-patient': 'Consent gate: the referenced Consent is for another patient',
  'consent-recipient-not-covered': 'Consent gate: the referenced Consent does not name the recipient organisation',
  'consent-denies': 'Consent gate: the referenced Consent denies disclosure',
};

const EXPRESSION: Record<ConsentDenial, string> = {
  'consent-missing': 'ServiceRequest.supportingInfo',
  'consent-revoked': 'Consent.status',
  'consent-not-active': 'Consent.status',
  'consent-expired': 'Consent.provision.period.end',
  'consent-not-yet-valid': 'Consent.provision.period.start',
  'consent-other-patient': 'Consent.patient',
  'consent-recipient-not-covered': 'Consent.provision.actor',
  'consent-denies': 'Consent.provision.type',
};

const DAY_MS = 86_400_000;

/** Start of a FHIR date/dateTime in ms (a date alone starts at 00:00Z). */
function startMs(value: string): number {
  return Date.parse(value.length <= 10 ? `${value.padEnd(10, '-01').slice(0, 10)}T00:00:00Z` : value);
}

/** End of a FHIR date/dateTime: a date alone covers its whole day (FHIR R4 datatypes.html#Period). */
function endMs(value: string): number {
  return value.length <= 10 ? startMs(value) + DAY_MS - 1 : Date.parse(value);
}

function isRecipientCovered(consent: Consent, recipient: Reference | undefined): boolean {
  const actors = consent.provision?.actor ?? [];
  if (actors.length === 0) {
    return true;
  }
  return actors.some((a) => sameTarget(a.reference.reference, recipient?.reference));
}

function evaluate(consent: Consent, sr: ServiceRequest, recipient: Reference | undefined, nowMs: number): ConsentDenial | undefined {
  if (consent.status === 'inactive' || consent.status === 'rejected') {
    return 'consent-revoked';
  }
  if (consent.status !== 'active') {
    return 'consent-not-active';
  }
  if (!sameTarget(consent.patient?.reference, sr.subject.reference)) {
    return 'consent-other-patient';
  }
  const period = consent.provision?.period;
  if (period?.start && nowMs < startMs(period.start)) {
    return 'consent-not-yet-valid';
  }
  if (period?.end && nowMs > endMs(period.end)) {
    return 'consent-expired';
  }
  if (consent.provision?.type === 'deny') {
    return 'consent-denies';
  }
  return isRecipientCovered(consent, recipient) ? undefined : 'consent-recipient-not-covered';
}

/** The Consents the ServiceRequest references in supportingInfo (by reference or contained #id). */
export function referencedConsents(sr: ServiceRequest, consents: readonly Consent[]): Consent[] {
  const refs = (sr.supportingInfo ?? []).map((r) => r.reference ?? '');
  const found: Consent[] = [];
  for (const ref of refs) {
    if (ref.startsWith('#')) {
      const contained = (sr.contained ?? []).find((c) => c.resourceType === 'Consent' && c.id === ref.slice(1));
      if (contained) found.push(contained as Consent);
      continue;
    }
    if (parseReference(ref)?.resourceType !== 'Consent') {
      continue;
    }
    const match = consents.find((c) => c.id !== undefined && sameTarget(ref, `Consent/${c.id}`));
    if (match) found.push(match);
  }
  return found;
}

export function consentDecision(input: ConsentDecisionInput): ConsentDecision {
  const { serviceRequest: sr, policy } = input;
  if (!policy.requiresConsent) {
    return { allowed: true, reason: 'consent-not-required' };
  }
  const recipient = input.recipient ?? sr.performer?.[0];
  const nowMs = Date.parse(input.now);
  const candidates = referencedConsents(sr, input.consents);
  if (candidates.length === 0) {
    const referencesOne = (sr.supportingInfo ?? []).some((r) => r.reference?.startsWith('#') || parseReference(r.reference)?.resourceType === 'Consent');
    return referencesOne
      ? { allowed: false, reason: 'consent-missing', issues: [issue('error', 'business-rule', 'Consent gate: the Consent the referral references is not available', 'ServiceRequest.supportingInfo')] }
      : deny('consent-missing');
  }
  const denials: ConsentDenial[] = [];
  for (const consent of candidates) {
    const denial = evaluate(consent, sr, recipient, nowMs);
    if (denial === undefined) {
      return { allowed: true, reason: 'consent-in-force', consent };
    }
    denials.push(denial);
  }
  return { allowed: false, reason: denials[0], issues: denials.map(toIssue) };

  function deny(reason: ConsentDenial): ConsentDecision {
    return { allowed: false, reason, issues: [toIssue(reason)] };
  }
}

function toIssue(reason: ConsentDenial): OperationOutcomeIssue {
  return issue('error', 'business-rule', TEXT[reason], EXPRESSION[reason]);
}
