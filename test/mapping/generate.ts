// Seeded generators of partner records for round-trip property tests and the benchmark.
// Every optional field is present in some records and absent in others; codes are drawn
// from the shipped ConceptMaps' source codes. Same seed, same records.

export type Rng = () => number;

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const maybe = (r: Rng, p = 0.5): boolean => r() < p;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

const GIVEN = ['Maria', 'Samuel', 'Aisha', 'Lan', 'José', 'Chloé', 'Olu', "D'Arcy", 'Mei-Ling', 'Zoë'];
const FAMILY = ['Lopez', 'Okafor', 'Karim', 'Nguyen', "O'Brien", 'Smith-Jones', 'Kowalski', 'Haddad'];
const NEEDS = ['food', 'housing', 'homelessness', 'housing-quality', 'transportation', 'financial', 'material', 'education', 'employment', 'veteran', 'stress', 'social-isolation', 'interpersonal-safety', 'elder-abuse', 'health-literacy', 'health-insurance', 'medical-costs', 'digital-literacy', 'digital-access', 'utilities', 'incarceration', 'language', 'other'];
const SERVICES = ['food-pantry-application', 'summer-food-application', 'garden-program-application', 'food-provision', 'social-work', 'social-service'];
const STATUSES = ['draft', 'new', 'accepted', 'declined', 'in-progress', 'on-hold', 'completed', 'could-not-complete', 'cancelled', 'entered-in-error'];
const TEXTS = ['Runs out of food, "often"', 'Needs a ride to dialysis, Mon/Wed/Fri', 'Behind on rent\nsince March', 'Lost job; looking for work', 'Wants to learn to use the bank app'];
const PRACTITIONERS = [
  { npi: '1234567893', givenName: 'Jan', familyName: 'Water', phone: '555-0100' },
  { npi: '1245319599', givenName: 'Aisha', familyName: 'Karim', phone: '217-555-0160' },
];

function date(r: Rng): string {
  return `20${pad(int(r, 20, 27))}-${pad(int(r, 1, 12))}-${pad(int(r, 1, 28))}`;
}
function dateTime(r: Rng): string {
  return `${date(r)}T${pad(int(r, 0, 23))}:${pad(int(r, 0, 59))}:${pad(int(r, 0, 59))}Z`;
}
function id(r: Rng, prefix: string): string {
  return `${prefix}-${int(r, 1, 999999)}`;
}

export function referralRecord(r: Rng, i: number): Record<string, unknown> {
  const client: Record<string, unknown> = {
    id: id(r, 'C'),
    givenName: pick(r, GIVEN),
    familyName: pick(r, FAMILY),
    gender: pick(r, ['F', 'M', 'X', 'U']),
  };
  if (maybe(r)) client.birthDate = date(r);
  if (maybe(r)) client.phone = `555-0${int(r, 100, 999)}`;
  if (maybe(r)) client.email = `client${i}@example.org`;
  if (maybe(r)) client.language = pick(r, ['es', 'en', 'vi', 'en-US', 'fr']);
  if (maybe(r)) client.address = { line: `${int(r, 1, 999)} Main Street, Apt ${int(r, 1, 20)}`, city: 'Springfield', state: 'IL', postalCode: pick(r, ['62701', '62702-1234']) };
  const need: Record<string, unknown> = { category: pick(r, NEEDS) };
  if (maybe(r)) need.description = pick(r, TEXTS);
  const record: Record<string, unknown> = {
    referralId: `REF-${i}-${int(r, 1, 99999)}`,
    createdAt: dateTime(r),
    status: pick(r, STATUSES),
    priority: pick(r, ['normal', 'urgent']),
    client,
    need,
    service: { code: pick(r, SERVICES) },
    referringOrganization: { id: id(r, 'ORG'), name: 'Riverside Family Clinic, Inc.' },
    // One NPI is one person: the same name and phone wherever it appears.
    referringPractitioner: { ...pick(r, PRACTITIONERS) },
  };
  if (maybe(r)) record.goal = { description: pick(r, TEXTS) };
  if (maybe(r)) record.consent = { onFile: true, date: date(r) };
  if (maybe(r)) record.assignedTo = { id: id(r, 'CBO'), name: 'Springfield Food Bank' };
  if (maybe(r)) record.notes = pick(r, TEXTS);
  return record;
}

export function caseUpdateRecord(r: Rng, i: number): Record<string, unknown> {
  const action = pick(r, ['accept', 'decline', 'start', 'hold', 'complete', 'could-not-complete', 'cancel']);
  const record: Record<string, unknown> = {
    referralId: `REF-${i}-${int(r, 1, 99999)}`,
    clientId: id(r, 'C'),
    action,
    updatedAt: dateTime(r),
  };
  if (['decline', 'hold', 'could-not-complete', 'cancel'].includes(action) || maybe(r, 0.2)) record.reason = pick(r, TEXTS);
  if (maybe(r, 0.7)) {
    const n = int(r, 1, 3);
    record.servicesDelivered = Array.from({ length: n }, (_, k) => {
      const s: Record<string, unknown> = { serviceId: `SVC-${i}-${k}`, code: pick(r, SERVICES), date: date(r) };
      if (maybe(r)) s.note = pick(r, TEXTS);
      return s;
    });
  }
  return record;
}

export function carePlanRecord(r: Rng, i: number): Record<string, unknown> {
  const categories = [...new Set(Array.from({ length: int(r, 1, 3) }, () => pick(r, NEEDS)))];
  const record: Record<string, unknown> = {
    planId: `CP-${i}-${int(r, 1, 9999)}`,
    clientId: id(r, 'C'),
    status: pick(r, ['draft', 'open', 'paused']),
    createdAt: date(r),
    needs: categories.map((category) => (maybe(r) ? { category, description: pick(r, TEXTS) } : { category })),
    goals: Array.from({ length: int(r, 1, 3) }, (_, k) => {
      const g: Record<string, unknown> = {
        goalId: `G-${k}`,
        text: pick(r, TEXTS),
        definedBy: pick(r, ['client', 'case-manager', 'jointly']),
        status: pick(r, ['proposed', 'agreed', 'active', 'paused', 'done', 'dropped', 'declined']),
        progress: pick(r, ['in-progress', 'improving', 'worsening', 'no-change', 'achieved', 'sustaining', 'not-achieved', 'no-progress', 'not-attainable']),
      };
      if (maybe(r)) g.need = pick(r, categories);
      if (maybe(r)) g.targetDate = date(r);
      return g;
    }),
    caseManager: { id: id(r, 'STAFF'), givenName: pick(r, GIVEN), familyName: pick(r, FAMILY) },
  };
  if (maybe(r)) record.title = `Plan ${i}`;
  if (maybe(r)) record.period = maybe(r) ? { start: date(r) } : { start: '2026-01-01', end: '2026-12-31' };
  if (maybe(r, 0.8)) {
    record.activities = Array.from({ length: int(r, 1, 4) }, () => ({
      kind: pick(r, ['support', 'navigation', 'direct-help']),
      description: pick(r, TEXTS),
      status: pick(r, ['not-started', 'scheduled', 'in-progress', 'on-hold', 'completed', 'cancelled', 'stopped']),
    }));
  }
  if (maybe(r)) {
    record.team = Array.from({ length: int(r, 1, 2) }, (_, k) => ({ id: `STAFF-T${k}`, givenName: pick(r, GIVEN), familyName: pick(r, FAMILY), role: 'Peer navigator' }));
  }
  return record;
}

export function hsdsRecord(r: Rng, i: number): Record<string, unknown> {
  const locations = Array.from({ length: int(r, 1, 3) }, (_, k) => {
    const loc: Record<string, unknown> = {
      id: `loc-${i}-${k}`,
      location_type: 'physical',
      name: `Site ${k}`,
      addresses: [{ address_1: `${int(r, 1, 999)} Oak Street`, city: 'Springfield', state_province: 'IL', postal_code: '62701', country: 'US', address_type: 'physical' }],
    };
    if (maybe(r)) Object.assign(loc, { latitude: 39.78, longitude: -89.65 });
    return loc;
  });
  return {
    id: `org-${i}`,
    name: `Community Org ${i}`,
    description: 'Food and housing help',
    phones: [{ number: `217-555-0${int(r, 100, 999)}` }],
    services: Array.from({ length: int(r, 1, 4) }, (_, k) => {
      const s: Record<string, unknown> = {
        id: `svc-${i}-${k}`,
        name: `Service ${k}`,
        status: pick(r, ['active', 'inactive', 'temporarily closed']),
        service_at_locations: [{ location_id: pick(r, locations).id }],
      };
      if (maybe(r)) s.capacities = [{ available: int(r, 0, 3), maximum: 10 }];
      return s;
    }),
    locations,
  };
}

export const generators = {
  referral: referralRecord,
  'case-update': caseUpdateRecord,
  'care-plan': carePlanRecord,
  'hsds-directory': hsdsRecord,
} as const;
