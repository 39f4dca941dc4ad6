// Bad input gives precise errors (the partner field, the rule's file:line, the CSV line and
// column) and nothing partial: no resources or record for the bad input.
import { mkdtemp, mkdir, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { transactionBundle } from '../../src/mapping/bundle.ts';
import { createMappingEngine, createStructuralValidator, loadMappings, shippedMappingsDir } from '../../src/mapping/index.ts';

const engine = createMappingEngine({ mappings: await loadMappings([shippedMappingsDir()]), validator: createStructuralValidator() });
const example = (name: string) => readFileSync(path.join(shippedMappingsDir(), '..', 'examples', 'partner', name), 'utf8');
const referral = () => JSON.parse(example('referral.json')) as Record<string, any>;

function errors(o: OperationOutcome) {
  return (o.issue ?? []).filter((i) => i.severity === 'error').map((i) => ({ text: i.details?.text ?? '', at: i.expression?.join(',') }));
}

describe('partner JSON to FHIR', () => {
  it('reports wrong types and missing required fields at the partner field, all at once, with no output', () => {
    const r = referral();
    r.client.birthDate = 19840719;
    delete r.client.familyName;
    r.priority = 'asap';
    r.extraField = true;
    const result = engine.map('referral', 'to-fhir', r);
    expect(result.resources).toEqual([]);
    expect(errors(result.outcome)).toEqual(
      expect.arrayContaining([
        { text: 'Wrong type: expected string (partner schema)', at: 'client.birthDate' },
        { text: 'Required field is missing (partner schema)', at: 'client.familyName' },
        { text: expect.stringContaining('not one of the allowed codes'), at: 'priority' },
        { text: 'Field is not part of the partner format (partner schema)', at: 'extraField' },
      ]),
    );
    expect(result.outcome.id).toBe('unprocessable');
  });

  it('reports a code missing from a ConceptMap with the rule file:line and source path', () => {
    const r = referral();
    r.need.category = 'pets';
    r.service.code = 'unknown-service';
    const result = engine.map('referral', 'to-fhir', r);
    expect(result.resources).toEqual([]);
    const found = errors(result.outcome);
    expect(found).toContainEqual({ text: expect.stringMatching(/^Code is not in ConceptMap "NeedCategory" \(rule mappings\/referral\/mapping\.yaml:\d+\)$/), at: 'need.category' });
    expect(found).toContainEqual({ text: expect.stringMatching(/ConceptMap "RequestedService" \(rule mappings\/referral\/mapping\.yaml:\d+\)/), at: 'service.code' });
  });

  it('keeps values out of error texts', () => {
    const r = referral();
    r.client.email = 'not-an-email-maria-lopez';
    const text = JSON.stringify(engine.map('referral', 'to-fhir', r).outcome);
    expect(text).toContain('client.email');
    expect(text).not.toContain('maria-lopez');
  });

  it('enforces the reason a decline needs', () => {
    const result = engine.map('case-update', 'to-fhir', { referralId: 'R-1', clientId: 'C-1', action: 'decline', updatedAt: '2026-03-04T10:00:00Z' });
    expect(result.resources).toEqual([]);
    expect(errors(result.outcome)).toContainEqual({ text: 'Required field is missing (partner schema)', at: 'reason' });
  });

  it('names the HSDS location a service points at when it is not in the record', () => {
    const input = JSON.parse(example('hsds-directory.json'));
    input.services[0].service_at_locations[0].location_id = 'loc-gone';
    const result = engine.map('hsds-directory', 'to-fhir', input);
    expect(result.resources).toEqual([]);
    expect(errors(result.outcome)).toEqual([
      { text: expect.stringMatching(/^No location with this id in the record \(rule mappings\/hsds-directory\/mapping\.yaml:\d+\)$/), at: 'services[0].service_at_locations[0].location_id' },
    ]);
  });

  it('refuses to run a one-way mapping backwards and an unknown mapping', () => {
    expect(engine.map('hsds-directory', 'from-fhir', { resourceType: 'Bundle', type: 'collection' }).outcome.id).toBe('bad-request');
    expect(engine.map('nope', 'to-fhir', {}).outcome.id).toBe('not-found');
  });
});

describe('FHIR to partner JSON', () => {
  const bundle = () => transactionBundle(engine.map('referral', 'to-fhir', referral()).resources ?? []);

  it('reports an unmapped FHIR code at its Bundle location and returns no record', () => {
    const b = bundle();
    const task = b.entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as { status: string };
    task.status = 'received';
    const result = engine.map('referral', 'from-fhir', b);
    expect(result.record).toBeUndefined();
    expect(errors(result.outcome)).toEqual([{ text: expect.stringMatching(/ConceptMap "ReferralStatus"/), at: 'Bundle.entry[0].resource.status' }]);
  });

  it('explains a missing partner field by the FHIR element it comes from', () => {
    const b = bundle();
    b.entry = b.entry?.filter((e) => e.resource?.resourceType !== 'Patient');
    const result = engine.map('referral', 'from-fhir', b);
    expect(result.record).toBeUndefined();
    expect(errors(result.outcome)).toContainEqual({
      text: expect.stringContaining('it comes from Patient.identifier[system=https://w3id.org/social-care-gateway/fhir/NamingSystem/partner-client-id].value'),
      at: 'client',
    });
  });

  it('rejects input that is not FHIR and a Bundle with no anchor resource', () => {
    expect(errors(engine.map('referral', 'from-fhir', { hello: 1 }).outcome)).toEqual([{ text: 'Input is not a FHIR resource or Bundle', at: '$this' }]);
    expect(errors(engine.map('referral', 'from-fhir', { resourceType: 'Bundle', type: 'collection', entry: [] }).outcome)[0].text).toMatch(/holds no Task/);
  });
});

describe('CSV', () => {
  const csv = example('referrals.csv').trimEnd().split('\n');

  it('gives line and column for bad cells, maps the good rows and nothing of the bad ones', () => {
    const header = csv[0];
    const good = csv[1];
    const badBoolean = csv[1].replace('REF-2026-0042', 'REF-B1').replace(',true,2026-03-01,', ',maybe,2026-03-01,');
    const shortRow = 'REF-B2,2026-03-02T14:05:00Z,new';
    const badDate = csv[2].replace('REF-2026-0043', 'REF-B3').replace('1958-11-02', '1958-13-45');
    const text = [header, good, badBoolean, shortRow, badDate].join('\n');
    const result = engine.map('referral-csv', 'to-fhir', text);
    expect(errors(result.outcome)).toEqual([
      { text: 'Line 3, column consent_on_file: Value is not true/false (or yes/no)', at: 'referrals[1].consent_on_file' },
      { text: 'Line 4: row has 3 cells, the header has 31', at: 'referrals[2]' },
      { text: 'Line 5, column client_birth_date: Value is not a valid date (partner schema)', at: 'referrals[3].client_birth_date' },
    ]);
    const ids = (result.resources ?? []).flatMap((r) => ((r as { identifier?: { value?: string }[] }).identifier ?? []).map((i) => i.value));
    expect(ids).toContain('REF-2026-0042');
    expect(ids.some((v) => String(v).startsWith('REF-B'))).toBe(false);
  });

  it('reports an unknown code in a row with the line and column', () => {
    const text = [csv[0], csv[1].replace(',food,', ',pets,')].join('\n');
    const result = engine.map('referral-csv', 'to-fhir', text);
    expect(result.resources).toEqual([]);
    // Two rules read need.category (ServiceRequest.category and Condition.category): each says so.
    const found = errors(result.outcome);
    expect(found.length).toBe(2);
    for (const e of found) {
      expect(e).toEqual({ text: expect.stringMatching(/^Line 2, column need_category: Code is not in ConceptMap "NeedCategory" \(rule mappings\/referral\/mapping\.yaml:\d+\)$/), at: 'referrals[0].need_category' });
    }
  });

  it('produces nothing at all for a file that is not readable CSV or has an unknown header', () => {
    const unclosed = engine.map('referral-csv', 'to-fhir', `${csv[0]}\n${csv[1]}\n"REF-X,unclosed`);
    expect(unclosed.resources).toEqual([]);
    expect(errors(unclosed.outcome)[0].text).toMatch(/^CSV cannot be read \(line \d+\)/);
    const header = engine.map('referral-csv', 'to-fhir', `${csv[0].replace('referral_id', 'ref')}\n${csv[1]}`);
    expect(header.resources).toEqual([]);
    expect(errors(header.outcome)).toEqual([{ text: expect.stringContaining('CSV header matches none of the tables'), at: 'header' }]);
  });
});

describe('loading mapping files', () => {
  it('fails start-up with file, line and reason for an invalid user mapping', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mappings-'));
    await mkdir(path.join(dir, 'broken'));
    await writeFile(path.join(dir, 'broken', 'schema.json'), '{"type":"object"}');
    await writeFile(
      path.join(dir, 'broken', 'mapping.yaml'),
      'name: broken\nschema: schema.json\nrecordKey: id\nresources:\n  - role: t\n    type: Task\n    rules:\n      - partner: a\n        fhir: status\n        conceptMap: nowhere\n',
    );
    const error = await loadMappings([dir]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationOutcomeError);
    const texts = (error as OperationOutcomeError).outcome.issue?.map((i) => i.details?.text);
    expect(texts).toEqual([expect.stringMatching(/broken\/mapping\.yaml:8: "conceptMap" names an unknown ConceptMap "nowhere"/)]);
  });

  it('loads a user mapping folder beside the shipped ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mappings-'));
    await cp(path.join(shippedMappingsDir(), 'case-update'), path.join(dir, 'my-updates'), { recursive: true });
    const file = path.join(dir, 'my-updates', 'mapping.yaml');
    await writeFile(file, readFileSync(file, 'utf8').replace('name: case-update', 'name: my-updates').replaceAll('../_concept-maps/', `${path.join(shippedMappingsDir(), '_concept-maps')}/`));
    const all = await loadMappings([dir, shippedMappingsDir()]);
    expect(all.map((m) => m.name)).toContain('my-updates');
  });
});
