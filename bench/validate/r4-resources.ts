// A set of realistic FHIR R4 resources for the validation benchmark: no installed package
// ships the R4 examples, so these follow the shapes of the spec's own examples
// (patient-example, observation-example-bloodpressure, encounter-example, ...), with
// synthetic data. All are valid R4; the benchmark checks that before timing.
import type { Resource } from '@medplum/fhirtypes';

const narrative = (text: string) => ({ status: 'generated' as const, div: `<div xmlns="http://www.w3.org/1999/xhtml">${text}</div>` });
const loinc = (code: string, display: string) => ({ coding: [{ system: 'http://loinc.org', code, display }], text: display });
const snomed = (code: string, display: string) => ({ coding: [{ system: 'http://snomed.info/sct', code, display }], text: display });

const patient = {
  resourceType: 'Patient',
  id: 'bench-patient-1',
  meta: { versionId: '3', lastUpdated: '2024-03-01T10:15:00Z' },
  text: narrative('Synthetic patient for the benchmark'),
  identifier: [
    { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345', period: { start: '2001-05-06' } },
  ],
  active: true,
  name: [
    { use: 'official', family: 'Synthetic', given: ['Alex', 'J'] },
    { use: 'usual', given: ['Al'] },
  ],
  telecom: [
    { system: 'phone', value: '(03) 5555 6473', use: 'work', rank: 1 },
    { system: 'email', value: 'alex@example.org', use: 'home' },
  ],
  gender: 'female',
  birthDate: '1974-12-25',
  _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1974-12-25T14:35:45-05:00' }] },
  deceasedBoolean: false,
  address: [{ use: 'home', type: 'both', line: ['534 Erewhon St'], city: 'PleasantVille', district: 'Rainbow', state: 'Vic', postalCode: '3999', period: { start: '1974-12-25' } }],
  maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }] },
  contact: [
    {
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }],
      name: { family: 'Synthetic', given: ['Bénédicte'] },
      telecom: [{ system: 'phone', value: '+33 (237) 998327' }],
      gender: 'female',
    },
  ],
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] }, preferred: true }],
  managingOrganization: { reference: 'Organization/bench-org-1' },
} as Resource; // `_birthDate` (json.html#primitive) is not in the TypeScript model

const organization: Resource = {
  resourceType: 'Organization',
  id: 'bench-org-1',
  text: narrative('Community Health Clinic'),
  identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
  active: true,
  type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
  name: 'Community Health Clinic',
  telecom: [{ system: 'phone', value: '022-655 2300', use: 'work' }],
  address: [{ line: ['3300 Washtenaw Avenue, Suite 227'], city: 'Amherst', state: 'MA', postalCode: '01002', country: 'USA' }],
};

const practitioner: Resource = {
  resourceType: 'Practitioner',
  id: 'bench-practitioner-1',
  text: narrative('Dr Sam Example'),
  identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9941339108' }],
  active: true,
  name: [{ family: 'Example', given: ['Sam'], prefix: ['Dr'] }],
  address: [{ use: 'home', line: ['534 Erewhon St'], city: 'PleasantVille', state: 'Vic', postalCode: '3999' }],
  qualification: [{ code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360', code: 'MD', display: 'Doctor of Medicine' }] }, period: { start: '1995' } }],
};

const bloodPressure: Resource = {
  resourceType: 'Observation',
  id: 'bench-bp-1',
  meta: { profile: ['http://hl7.org/fhir/StructureDefinition/vitalsigns'] },
  text: narrative('Blood pressure 107/60 mmHg'),
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
  code: loinc('85354-9', 'Blood pressure panel with all children optional'),
  subject: { reference: 'Patient/bench-patient-1' },
  effectiveDateTime: '2024-02-10T09:30:10+01:00',
  performer: [{ reference: 'Practitioner/bench-practitioner-1' }],
  interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'L', display: 'low' }] }],
  bodySite: snomed('368209003', 'Right arm'),
  component: [
    { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: { value: 107, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: { value: 60, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
};

const glucose: Resource = {
  resourceType: 'Observation',
  id: 'bench-glucose-1',
  text: narrative('Glucose 6.3 mmol/L'),
  identifier: [{ use: 'official', system: 'http://www.bmc.nl/zorgportal/identifiers/observations', value: '6323' }],
  status: 'final',
  code: loinc('15074-8', 'Glucose [Moles/volume] in Blood'),
  subject: { reference: 'Patient/bench-patient-1' },
  effectivePeriod: { start: '2013-04-02T09:30:10+01:00' },
  issued: '2013-04-03T15:30:10.000+01:00',
  performer: [{ reference: 'Practitioner/bench-practitioner-1' }],
  valueQuantity: { value: 6.3, unit: 'mmol/l', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] }],
  referenceRange: [{ low: { value: 3.1, unit: 'mmol/l', system: 'http://unitsofmeasure.org', code: 'mmol/L' }, high: { value: 6.2, unit: 'mmol/l', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }],
};

const encounter: Resource = {
  resourceType: 'Encounter',
  id: 'bench-encounter-1',
  text: narrative('Ambulatory encounter'),
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
  type: [snomed('270427003', 'Patient-initiated encounter')],
  priority: snomed('103391001', 'Non-urgent ear, nose and throat admission'),
  subject: { reference: 'Patient/bench-patient-1' },
  participant: [{ individual: { reference: 'Practitioner/bench-practitioner-1' } }],
  period: { start: '2024-01-05T09:00:00Z', end: '2024-01-05T09:40:00Z' },
  reasonCode: [snomed('18099001', 'Retropharyngeal abscess')],
  serviceProvider: { reference: 'Organization/bench-org-1' },
};

const condition: Resource = {
  resourceType: 'Condition',
  id: 'bench-condition-1',
  text: narrative('Severe burn of left ear'),
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
  severity: snomed('24484000', 'Severe'),
  code: snomed('39065001', 'Burn of ear'),
  bodySite: [snomed('49521004', 'Left external ear structure')],
  subject: { reference: 'Patient/bench-patient-1' },
  onsetDateTime: '2012-05-24',
};

const allergy: Resource = {
  resourceType: 'AllergyIntolerance',
  id: 'bench-allergy-1',
  text: narrative('Allergy to cashew nuts'),
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active', display: 'Active' }] },
  verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed', display: 'Confirmed' }] },
  type: 'allergy',
  category: ['food'],
  criticality: 'high',
  code: snomed('227493005', 'Cashew nuts'),
  patient: { reference: 'Patient/bench-patient-1' },
  onsetDateTime: '2004',
  recordedDate: '2014-10-09T14:58:00+11:00',
  recorder: { reference: 'Practitioner/bench-practitioner-1' },
  reaction: [
    {
      substance: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1160593', display: 'cashew nut allergenic extract Injectable Product' }] },
      manifestation: [snomed('39579001', 'Anaphylactic reaction')],
      onset: '2012-06-12',
      severity: 'severe',
      exposureRoute: snomed('34206005', 'Subcutaneous route'),
    },
  ],
};

const medicationRequest: Resource = {
  resourceType: 'MedicationRequest',
  id: 'bench-medrx-1',
  text: narrative('Amoxicillin 500 mg three times daily'),
  status: 'active',
  intent: 'order',
  medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '308182', display: 'Amoxicillin 500 MG Oral Capsule' }] },
  subject: { reference: 'Patient/bench-patient-1' },
  encounter: { reference: 'Encounter/bench-encounter-1' },
  authoredOn: '2024-01-05',
  requester: { reference: 'Practitioner/bench-practitioner-1' },
  dosageInstruction: [
    {
      sequence: 1,
      text: '500 mg three times daily for 7 days',
      timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', boundsDuration: { value: 7, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } } },
      route: snomed('26643006', 'Oral route'),
      doseAndRate: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/dose-rate-type', code: 'ordered' }] }, doseQuantity: { value: 500, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
    },
  ],
  dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 21, unit: 'capsule' }, expectedSupplyDuration: { value: 7, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } },
};

const immunization: Resource = {
  resourceType: 'Immunization',
  id: 'bench-immunization-1',
  text: narrative('Influenza vaccine'),
  status: 'completed',
  vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '141', display: 'Influenza, seasonal, injectable' }] },
  patient: { reference: 'Patient/bench-patient-1' },
  occurrenceDateTime: '2023-10-12',
  primarySource: true,
  lotNumber: 'AAJN11K',
  expirationDate: '2024-02-15',
  site: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActSite', code: 'LA', display: 'left arm' }] },
  route: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration', code: 'IM', display: 'Injection, intramuscular' }] },
  doseQuantity: { value: 5, system: 'http://unitsofmeasure.org', code: 'mg' },
  performer: [{ function: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0443', code: 'AP' }] }, actor: { reference: 'Practitioner/bench-practitioner-1' } }],
};

const procedure: Resource = {
  resourceType: 'Procedure',
  id: 'bench-procedure-1',
  text: narrative('Appendectomy'),
  status: 'completed',
  code: snomed('80146002', 'Appendectomy'),
  subject: { reference: 'Patient/bench-patient-1' },
  performedPeriod: { start: '2013-04-05T10:00:00Z', end: '2013-04-05T11:30:00Z' },
  performer: [{ actor: { reference: 'Practitioner/bench-practitioner-1' } }],
  reasonCode: [{ text: 'Generalized abdominal pain 24 hours. Localized in RIF with rebound and guarding' }],
  followUp: [{ text: 'ROS 5 days  - 2013-04-10' }],
  note: [{ text: 'Routine Appendectomy. Appendix was inflamed and in retro-caecal position' }],
};

const diagnosticReport: Resource = {
  resourceType: 'DiagnosticReport',
  id: 'bench-report-1',
  text: narrative('Glucose report'),
  contained: [{ resourceType: 'Specimen', id: 'spec', type: snomed('119297000', 'Blood specimen'), subject: { reference: 'Patient/bench-patient-1' } }],
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'CH' }] }],
  code: loinc('2339-0', 'Glucose [Mass/volume] in Blood'),
  subject: { reference: 'Patient/bench-patient-1' },
  effectiveDateTime: '2013-04-02T09:30:10+01:00',
  issued: '2013-04-03T15:30:10+01:00',
  performer: [{ reference: 'Organization/bench-org-1' }],
  specimen: [{ reference: '#spec' }],
  result: [{ reference: 'Observation/bench-glucose-1' }],
  conclusion: 'High glucose',
};

const serviceRequest: Resource = {
  resourceType: 'ServiceRequest',
  id: 'bench-sr-1',
  text: narrative('Referral to food bank'),
  status: 'active',
  intent: 'order',
  category: [snomed('410606002', 'Social service procedure')],
  code: snomed('467771000124109', 'Assistance with application for food pantry program'),
  subject: { reference: 'Patient/bench-patient-1' },
  occurrencePeriod: { start: '2024-02-01', end: '2024-03-01' },
  authoredOn: '2024-01-20T10:00:00Z',
  requester: { reference: 'Practitioner/bench-practitioner-1' },
  performer: [{ reference: 'Organization/bench-org-1' }],
  reasonReference: [{ reference: 'Condition/bench-condition-1' }],
};

const task: Resource = {
  resourceType: 'Task',
  id: 'bench-task-1',
  text: narrative('Fulfil the food bank referral'),
  status: 'in-progress',
  intent: 'order',
  priority: 'routine',
  code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
  focus: { reference: 'ServiceRequest/bench-sr-1' },
  for: { reference: 'Patient/bench-patient-1' },
  executionPeriod: { start: '2024-01-21T08:00:00Z' },
  authoredOn: '2024-01-20T10:05:00Z',
  lastModified: '2024-01-21T08:00:00Z',
  requester: { reference: 'Practitioner/bench-practitioner-1' },
  owner: { reference: 'Organization/bench-org-1' },
  restriction: { repetitions: 1, period: { end: '2024-03-01T00:00:00Z' } },
  input: [{ type: { text: 'note' }, valueString: 'Client prefers morning appointments' }],
};

const goal: Resource = {
  resourceType: 'Goal',
  id: 'bench-goal-1',
  text: narrative('Target weight'),
  lifecycleStatus: 'active',
  achievementStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'in-progress' }] },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-category', code: 'dietary' }] }],
  priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-priority', code: 'high-priority' }] },
  description: { text: 'Target weight is 160 to 180 lbs.' },
  subject: { reference: 'Patient/bench-patient-1' },
  startDate: '2024-01-10',
  target: [{ measure: loinc('3141-9', 'Weight Measured'), detailRange: { low: { value: 160, unit: 'lbs', system: 'http://unitsofmeasure.org', code: '[lb_av]' }, high: { value: 180, unit: 'lbs', system: 'http://unitsofmeasure.org', code: '[lb_av]' } }, dueDate: '2024-06-10' }],
  statusDate: '2024-01-10',
  expressedBy: { reference: 'Patient/bench-patient-1' },
  addresses: [{ reference: 'Condition/bench-condition-1' }],
};

const carePlan: Resource = {
  resourceType: 'CarePlan',
  id: 'bench-careplan-1',
  text: narrative('Weight management plan'),
  status: 'active',
  intent: 'plan',
  category: [{ coding: [{ system: 'http://snomed.info/sct', code: '698360004', display: 'Diabetes self management plan' }] }],
  subject: { reference: 'Patient/bench-patient-1' },
  period: { start: '2024-01-10', end: '2024-12-31' },
  author: { reference: 'Practitioner/bench-practitioner-1' },
  addresses: [{ reference: 'Condition/bench-condition-1' }],
  goal: [{ reference: 'Goal/bench-goal-1' }],
  activity: [
    {
      detail: {
        kind: 'ServiceRequest',
        code: snomed('409063005', 'Counseling'),
        status: 'in-progress',
        doNotPerform: false,
        scheduledTiming: { repeat: { frequency: 1, period: 1, periodUnit: 'wk' } },
        performer: [{ reference: 'Practitioner/bench-practitioner-1' }],
        description: 'Weekly counselling',
      },
    },
    { reference: { reference: 'ServiceRequest/bench-sr-1' } },
  ],
};

const questionnaireResponse: Resource = {
  resourceType: 'QuestionnaireResponse',
  id: 'bench-qr-1',
  text: narrative('Hunger Vital Sign answers'),
  questionnaire: 'http://example.org/Questionnaire/hunger-vital-sign',
  status: 'completed',
  subject: { reference: 'Patient/bench-patient-1' },
  authored: '2024-01-05T09:10:00Z',
  author: { reference: 'Patient/bench-patient-1' },
  item: [
    { linkId: '1', text: 'Within the past 12 months we worried whether our food would run out before we got money to buy more', answer: [{ valueCoding: { system: 'http://loinc.org', code: 'LA28397-0', display: 'Often true' } }] },
    { linkId: '2', text: 'Within the past 12 months the food we bought just did not last and we did not have money to get more', answer: [{ valueCoding: { system: 'http://loinc.org', code: 'LA6729-3', display: 'Sometimes true' } }] },
    { linkId: '3', text: 'Risk', item: [{ linkId: '3.1', answer: [{ valueBoolean: true }] }] },
  ],
};

const coverage: Resource = {
  resourceType: 'Coverage',
  id: 'bench-coverage-1',
  text: narrative('Health coverage'),
  identifier: [{ system: 'http://benefitsinc.com/certificate', value: '12345' }],
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EHCPOL', display: 'extended healthcare' }] },
  subscriber: { reference: 'Patient/bench-patient-1' },
  beneficiary: { reference: 'Patient/bench-patient-1' },
  relationship: { coding: [{ code: 'self' }] },
  period: { start: '2024-01-01', end: '2024-12-31' },
  payor: [{ reference: 'Organization/bench-org-1' }],
  class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' }] }, value: 'CB135', name: 'Corporate Baker' }],
};

const location: Resource = {
  resourceType: 'Location',
  id: 'bench-location-1',
  text: narrative('Food pantry'),
  status: 'active',
  name: 'Downtown Food Pantry',
  mode: 'instance',
  telecom: [{ system: 'phone', value: '2328', use: 'work' }],
  address: { use: 'work', line: ['Galapagosweg 91, Building A'], city: 'Den Burg', postalCode: '9105 PZ', country: 'NLD' },
  position: { longitude: -83.6945691, latitude: 42.25475478, altitude: 0 },
  managingOrganization: { reference: 'Organization/bench-org-1' },
  hoursOfOperation: [{ daysOfWeek: ['mon', 'tue', 'wed'], allDay: false, openingTime: '09:00:00', closingTime: '17:00:00' }],
};

const consent: Resource = {
  resourceType: 'Consent',
  id: 'bench-consent-1',
  text: narrative('Consent to share with the food bank'),
  status: 'active',
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [loinc('59284-0', 'Patient Consent')],
  patient: { reference: 'Patient/bench-patient-1' },
  dateTime: '2024-01-05T09:00:00Z',
  organization: [{ reference: 'Organization/bench-org-1' }],
  sourceAttachment: { title: 'Signed consent form', contentType: 'application/pdf', url: 'http://example.org/consents/1.pdf' },
  policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
  provision: { type: 'permit', period: { start: '2024-01-05', end: '2025-01-05' }, actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: 'Organization/bench-org-1' } }] },
};

const bundle: Resource = {
  resourceType: 'Bundle',
  id: 'bench-bundle-1',
  type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', resource: { ...(patient as object), id: undefined } as Resource, request: { method: 'POST', url: 'Patient' } },
    {
      fullUrl: 'urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059',
      resource: { ...(glucose as object), id: undefined, subject: { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' } } as Resource,
      request: { method: 'POST', url: 'Observation' },
    },
    { fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0', resource: { ...(condition as object), id: undefined, subject: { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' } } as Resource, request: { method: 'POST', url: 'Condition' } },
  ],
};
for (const e of (bundle as unknown as { entry: { resource: Record<string, unknown> }[] }).entry) delete e.resource.id;

export const R4_RESOURCES: Resource[] = [
  patient,
  organization,
  practitioner,
  bloodPressure,
  glucose,
  encounter,
  condition,
  allergy,
  medicationRequest,
  immunization,
  procedure,
  diagnosticReport,
  serviceRequest,
  task,
  goal,
  carePlan,
  questionnaireResponse,
  coverage,
  location,
  consent,
  bundle,
];
