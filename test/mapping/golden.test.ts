// Golden tests of every shipped mapping (mappings/<name>/tests): partner input -> exactly the
// expected FHIR Bundle, validated against the target profiles; and, for two-way mappings,
// the expected Bundle -> exactly the partner input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMappingEngine, listMappingFolders, loadMappings, runGoldenTests, shippedMappingsDir } from '../../src/mapping/index.ts';
import { testValidator } from './validator.ts';

const dirs = [shippedMappingsDir()];
const { validator, kind } = await testValidator();
const engine = createMappingEngine({ mappings: await loadMappings(dirs), validator });
const folders = await listMappingFolders(dirs);
const results = await runGoldenTests(engine, folders);

describe(`golden tests (output checked against ${kind === 'profiles' ? 'target profiles' : 'base structure only'})`, () => {
  it('ships the five mappings, each with golden cases', () => {
    expect(folders.map((f) => f.name)).toEqual(['care-plan', 'case-update', 'hsds-directory', 'referral', 'referral-csv']);
    for (const f of folders) expect(results.filter((r) => r.mapping === f.name).length).toBeGreaterThan(0);
  });

  it('runs profile validation when the conformance engine and packages are present', () => {
    expect(kind).toBe('profiles');
  });

  it.each(results.map((r) => [`${r.mapping} ${r.testCase} ${r.direction}`, r] as const))('%s', (_name, r) => {
    expect(r.reason ?? 'ok').toBe('ok');
    expect(r.ok).toBe(true);
  });

  it('runs both directions for two-way mappings and one for hsds-directory', () => {
    const directions = (name: string) => new Set(results.filter((r) => r.mapping === name).map((r) => r.direction));
    expect([...directions('referral')].sort()).toEqual(['from-fhir', 'to-fhir']);
    expect([...directions('hsds-directory')]).toEqual(['to-fhir']);
  });
});

describe('the worked example of mappings/README.md (a user mapping folder)', async () => {
  const userDir = new URL('../../examples/partner/mappings', import.meta.url).pathname;
  const userEngine = createMappingEngine({ mappings: await loadMappings([userDir, ...dirs]), validator });
  const userResults = await runGoldenTests(userEngine, await listMappingFolders([userDir]));

  it('passes its golden tests both ways', () => {
    expect(userResults.map((r) => `${r.mapping} ${r.testCase} ${r.direction} ${r.reason ?? 'ok'}`)).toEqual([
      'pantry-updates done-two-visits to-fhir ok',
      'pantry-updates done-two-visits from-fhir ok',
    ]);
  });

  it('names the same Task as the referral mapping did for that referral', () => {
    const referral = engine.map('referral', 'to-fhir', JSON.parse(readFileSync(new URL('../../examples/partner/referral.json', import.meta.url), 'utf8')));
    const update = userEngine.map('pantry-updates', 'to-fhir', { ref: 'REF-2026-0042', client: 'C-10017', state: 'visiting', when: '2026-03-05T10:00:00Z' });
    const taskId = (r: typeof referral) => r.resources?.find((x) => x.resourceType === 'Task')?.id;
    expect(taskId(update)).toBeDefined();
    expect(taskId(update)).toBe(taskId(referral));
  });
});

describe('care-plan goal status', () => {
  const minimal = JSON.parse(readFileSync(new URL('../../mappings/care-plan/tests/minimal-plan.partner.json', import.meta.url), 'utf8')) as {
    goals: Record<string, unknown>[];
  };
  const lifecycle = (status: string | undefined) => {
    const goals = minimal.goals.map((g) => {
      const { status: _status, ...rest } = g;
      return status === undefined ? rest : { ...rest, status };
    });
    const result = engine.map('care-plan', 'to-fhir', { ...minimal, goals });
    expect(result.outcome.issue?.filter((i) => i.severity === 'error') ?? []).toEqual([]);
    return result.resources?.filter((r) => r.resourceType === 'Goal').map((g) => (g as { lifecycleStatus?: string }).lifecycleStatus);
  };

  it('is active when the partner gives none, and follows the partner when it does', () => {
    expect(lifecycle(undefined)).toEqual(['active']);
    expect(lifecycle('done')).toEqual(['completed']);
    expect(lifecycle('paused')).toEqual(['on-hold']);
    expect(lifecycle('declined')).toEqual(['rejected']);
  });
});
