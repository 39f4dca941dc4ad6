// Invalid mapping files fail at compile time with file, line and reason.
import { describe, expect, it } from 'vitest';
import { compileMapping, MappingCompileError } from './compile.ts';
import { parseSource } from './source.ts';

const schema = { type: 'object' };

function compile(yaml: string) {
  const { doc, problems } = parseSource('m/mapping.yaml', yaml);
  if (!doc) throw new MappingCompileError(problems);
  return compileMapping({ doc, schema, conceptMaps: [] });
}

function problemsOf(yaml: string): string[] {
  try {
    compile(yaml);
  } catch (e) {
    if (e instanceof MappingCompileError) return e.problems.map((p) => `${p.file}:${p.line}: ${p.reason}`);
    throw e;
  }
  return [];
}

const head = `name: m
schema: s.json
recordKey: id
resources:
  - role: a
    type: Patient
    rules:
`;

describe('compileMapping', () => {
  it('compiles a valid mapping', () => {
    const m = compile(`${head}      - partner: id\n        fhir: identifier[system=urn:x].value\n`);
    expect(m.name).toBe('m');
    expect(m.anchor).toBe('a');
    expect(m.roles[0].rules).toHaveLength(1);
  });

  it('names file and line of every bad rule, all at once', () => {
    const problems = problemsOf(`${head}      - partner: id
        fhir: name[
      - fhir: x
        ref: nobody
      - partner: p
        fhir: q
        direction: to-fhir
      - fhir: q
        compute: "1 +"
        direction: to-fhir
      - fhir: q
        compute: "1"
      - partner: z
        fhir: z
        conceptMap: missing
      - partner: y
        fhir: y
        bogus: 1
`);
    expect(problems).toEqual([
      'm/mapping.yaml:8: "fhir": invalid path step "name["',
      'm/mapping.yaml:10: "ref" names an unknown role "nobody"',
      'm/mapping.yaml:12: "direction" belongs to "compute" rules and "each" groups only: correspondences run both ways',
      expect.stringMatching(/^m\/mapping\.yaml:15: invalid FHIRPath in "compute"/),
      'm/mapping.yaml:18: "compute" needs "direction: to-fhir" or "direction: from-fhir" (computed values are one-way)',
      'm/mapping.yaml:20: "conceptMap" names an unknown ConceptMap "missing" (list it under conceptMaps)',
      'm/mapping.yaml:23: unknown rule key "bogus"',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('name: m\nresources: [\n  - a\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^m\/mapping\.yaml:\d+: /);
  });

  it('requires per-item resources to name their id and references to them to sit in their group', () => {
    const problems = problemsOf(`name: m
schema: s.json
recordKey: id
resources:
  - role: a
    type: Task
    rules:
      - fhir: output
        ref: p
  - role: p
    type: Procedure
    forEach: items
    rules: []
`);
    expect(problems).toEqual([
      'm/mapping.yaml:8: role "p" is made once per item of "items": reference it inside "each: items" or name the item with "key"',
      'm/mapping.yaml:10: resource "p" is made per item: "id" must name the item\'s identifier',
    ]);
  });

  it('rejects unknown top-level keys and a missing recordKey', () => {
    expect(problemsOf('name: m\nresources: []\nextra: 1\n')).toEqual(
      expect.arrayContaining(['m/mapping.yaml:1: unknown key "extra"', 'm/mapping.yaml:1: "recordKey" (partner path(s) of the record id) is required']),
    );
  });
});
