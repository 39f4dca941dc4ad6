// Round-trip properties on seeded generated records: partner -> FHIR -> partner gives back
// the same record for every two-way mapping (all fields of the shipped formats are two-way),
// mapping the same record twice gives identical resources, and a sample of the outputs
// passes profile validation.
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../src/fhir/outcomes.ts';
import { transactionBundle } from '../../src/mapping/bundle.ts';
import { createMappingEngine, loadMappings, shippedMappingsDir } from '../../src/mapping/index.ts';
import { caseUpdateRecord, carePlanRecord, generators, referralRecord, rng } from './generate.ts';
import { testValidator } from './validator.ts';

const RECORDS = 300;
const SAMPLE = 25;
const mappings = await loadMappings([shippedMappingsDir()]);
const { validator } = await testValidator();
const engine = createMappingEngine({ mappings, validator });

function errorsOf(o: { issue?: { severity: string; details?: { text?: string }; expression?: string[] }[] }): string {
  return (o.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.details?.text} @ ${i.expression?.join(',')}`)
    .join('\n');
}

describe.each(['referral', 'case-update', 'care-plan'] as const)('%s round trip', (name) => {
  const make = generators[name];

  it(`returns the same record for ${RECORDS} generated records`, () => {
    const r = rng(20260323);
    let compared = 0;
    for (let i = 0; i < RECORDS; i++) {
      const record = make(r, i);
      const forward = engine.map(name, 'to-fhir', record, { skipValidation: true });
      expect(errorsOf(forward.outcome)).toBe('');
      const back = engine.map(name, 'from-fhir', transactionBundle(forward.resources ?? []));
      expect(errorsOf(back.outcome)).toBe('');
      expect(back.record).toEqual(record);
      compared++;
    }
    expect(compared).toBe(RECORDS);
  });

  it('derives the same ids and resources when a record is mapped twice', () => {
    const record = make(rng(7), 1);
    const a = engine.map(name, 'to-fhir', record, { skipValidation: true });
    const b = engine.map(name, 'to-fhir', structuredClone(record), { skipValidation: true });
    expect(a.resources?.length).toBeGreaterThan(0);
    expect(b.resources).toEqual(a.resources);
    const other = engine.map(name, 'to-fhir', record, { partner: 'another-cbo', skipValidation: true });
    expect(other.resources?.[0].id).not.toBe(a.resources?.[0].id);
  });

  it(`passes profile validation on ${SAMPLE} generated records`, () => {
    const r = rng(99);
    for (let i = 0; i < SAMPLE; i++) {
      const result = engine.map(name, 'to-fhir', make(r, i));
      expect(errorsOf(result.outcome)).toBe('');
    }
  });
});

describe('hsds-directory (one-way)', () => {
  it(`maps ${SAMPLE} generated HSDS organizations to valid resources, references resolved`, () => {
    const r = rng(5);
    for (let i = 0; i < SAMPLE; i++) {
      const input = generators['hsds-directory'](r, i) as { services: unknown[]; locations: unknown[] };
      const result = engine.map('hsds-directory', 'to-fhir', input);
      expect(errorsOf(result.outcome)).toBe('');
      const resources = result.resources ?? [];
      expect(resources.length).toBe(1 + input.services.length + input.locations.length);
      const ids = new Set(resources.map((x) => `${x.resourceType}/${x.id}`));
      for (const x of resources) {
        if (x.resourceType !== 'HealthcareService') continue;
        for (const loc of x.location ?? []) expect(ids.has(loc.reference ?? '')).toBe(true);
        expect(ids.has(x.providedBy?.reference ?? '')).toBe(true);
      }
    }
  });
});

describe('referral-csv round trip', () => {
  it(`CSV -> FHIR -> CSV keeps ${RECORDS} referral rows and ${RECORDS} case-update rows`, () => {
    const r = rng(11);
    const referrals = Array.from({ length: RECORDS }, (_, i) => referralRecord(r, i));
    const updates = Array.from({ length: RECORDS }, (_, i) => caseUpdateRecord(r, i));
    for (const [name, records, table] of [['referral', referrals, 'referrals'], ['case-update', updates, 'case-updates']] as const) {
      const resources = records.flatMap((rec) => engine.map(name, 'to-fhir', rec, { skipValidation: true }).resources ?? []);
      const csv = engine.map('referral-csv', 'from-fhir', transactionBundle(resources), { table });
      expect(errorsOf(csv.outcome)).toBe('');
      const text = csv.record as string;
      expect(text.trim().split('\n').length).toBeGreaterThan(RECORDS);
      const again = engine.map('referral-csv', 'to-fhir', text, { skipValidation: true });
      expect(errorsOf(again.outcome)).toBe('');
      const sortById = (list: { id?: string }[]) => [...list].sort((a, b) => String(a.id).localeCompare(String(b.id)));
      expect(sortById(again.resources ?? [])).toEqual(sortById(resources));
      const csvAgain = engine.map('referral-csv', 'from-fhir', transactionBundle(again.resources ?? []), { table });
      expect(csvAgain.record).toBe(text);
    }
  });
});

it('generated care plans exercise every activity kind and optional section', () => {
  const r = rng(3);
  const plans = Array.from({ length: 100 }, (_, i) => carePlanRecord(r, i));
  const kinds = new Set(plans.flatMap((p) => ((p.activities as { kind: string }[] | undefined) ?? []).map((a) => a.kind)));
  expect([...kinds].sort()).toEqual(['direct-help', 'navigation', 'support']);
  expect(plans.some((p) => p.team === undefined) && plans.some((p) => p.team !== undefined)).toBe(true);
  expect(hasErrors([])).toBe(false);
});
