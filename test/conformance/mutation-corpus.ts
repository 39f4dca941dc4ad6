// Generates a mutation corpus from valid example resources: each mutant breaks exactly one
// rule of the resource's profile and names the FHIRPath expression where a validator must
// report it. Operators read the compiled profile, so the corpus follows the definitions
// rather than hard-coded element names. Run directly to print the corpus size by operator:
//   node test/conformance/mutation-corpus.ts
import type { Definitions } from '../../src/conformance/definitions.ts';
import { compileProfile, type CompiledProfile, type ElementRule } from '../../src/conformance/compile.ts';
import { isPrimitiveType } from '../../src/conformance/primitives.ts';
import { capitalize, isObject } from '../../src/conformance/values.ts';

export type Operator =
  | 'drop-required'
  | 'break-cardinality'
  | 'wrong-required-code'
  | 'wrong-primitive-format'
  | 'violate-invariant'
  | 'change-fixed-value'
  | 'add-forbidden-element'
  | 'wrong-reference-type';

export interface Mutant {
  source: string;
  operator: Operator;
  description: string;
  resource: Record<string, unknown>;
  /** Where the error must be reported (the issue expression, or an ancestor of it). */
  expression: string;
}

type Resource = Record<string, unknown>;

interface Present {
  rule: ElementRule;
  key: string;
  type: string;
}

/** Top-level elements of the resource with the rule and type each carries. */
function present(resource: Resource, profile: CompiledProfile): Present[] {
  const out: Present[] = [];
  for (const child of profile.root.children) {
    if (child.choice) {
      for (const t of child.types) {
        const key = child.name + capitalize(t.code);
        if (key in resource) out.push({ rule: child, key, type: t.code });
      }
    } else if (child.name in resource) {
      out.push({ rule: child, key: child.name, type: child.types[0]?.code ?? 'BackboneElement' });
    }
  }
  return out;
}

function itemExpression(type: string, p: Present, index?: number): string {
  let e = `${type}.${p.rule.name}`;
  if (p.rule.isArray) e += `[${index ?? 0}]`;
  if (p.rule.choice) e += `.ofType(${p.type})`;
  return e;
}

const clone = (r: Resource): Resource => structuredClone(r);

const typeModels = new Map<string, CompiledProfile | undefined>();
function compiledType(code: string, defs: Definitions): CompiledProfile | undefined {
  if (!typeModels.has(code)) {
    const sd = defs.typeDefinition(code);
    typeModels.set(code, sd?.snapshot ? compileProfile(sd) : undefined);
  }
  return typeModels.get(code);
}

function sampleValue(type: string): unknown {
  if (type === 'Reference') return { reference: 'Basic/mutant' };
  if (type === 'CodeableConcept') return { text: 'mutant' };
  if (type === 'boolean') return true;
  if (isPrimitiveType(type)) return type === 'integer' || type === 'decimal' || type.endsWith('Int') ? 1 : 'mutant';
  return { id: 'mutant', extension: [{ url: 'http://example.org/mutant', valueString: 'mutant' }] };
}

export function generateMutants(source: string, resource: Resource, defs: Definitions): Mutant[] {
  const type = resource.resourceType as string;
  const profileUrl = isObject(resource.meta) && Array.isArray(resource.meta.profile) ? (resource.meta.profile[0] as string) : undefined;
  const sd = defs.structureDefinition(profileUrl ?? type);
  if (!sd?.snapshot) return [];
  const profile = compileProfile(sd);
  const here = present(resource, profile);
  const mutants: Mutant[] = [];
  const add = (operator: Operator, description: string, r: Resource, expression: string): void => {
    mutants.push({ source, operator, description, resource: r, expression });
  };

  // Drop a required element (elementdefinition.html#min).
  const required = here.find((p) => p.rule.min > 0 && !p.rule.choice);
  if (required) {
    const r = clone(resource);
    delete r[required.key];
    delete r[`_${required.key}`];
    add('drop-required', `remove ${required.key} (min ${required.rule.min})`, r, `${type}.${required.rule.name}`);
  }

  // Drop a required element one level down (a backbone or datatype child, e.g.
  // Task.output[0].type, Observation.component[0].code, Reference-free Coding.code is 0..1).
  for (const p of here) {
    const first = Array.isArray(resource[p.key]) ? (resource[p.key] as unknown[])[0] : resource[p.key];
    if (!isObject(first) || p.rule.choice) continue;
    const inner = p.rule.children.length > 0 ? p.rule : compiledType(p.type, defs)?.root;
    const child = inner?.children.find((c) => c.min > 0 && !c.choice && c.name in first && c.name !== 'url');
    if (!child) continue;
    const r = clone(resource);
    const target = (Array.isArray(r[p.key]) ? (r[p.key] as Record<string, unknown>[])[0] : r[p.key]) as Record<string, unknown>;
    delete target[child.name];
    add('drop-required', `remove ${p.key}${p.rule.isArray ? '[0]' : ''}.${child.name} (min ${child.min})`, r, `${itemExpression(type, p)}.${child.name}`);
    break;
  }

  // Break a cardinality: exceed a profile max below the base, else repeat a single element.
  const capped = here.find((p) => p.rule.isArray && Number.isFinite(p.rule.max) && Array.isArray(resource[p.key]));
  if (capped) {
    const r = clone(resource);
    const items = r[capped.key] as unknown[];
    while (items.length <= capped.rule.max) items.push(structuredClone(items[0]));
    add('break-cardinality', `${capped.key} above its max ${capped.rule.max}`, r, `${type}.${capped.rule.name}`);
  } else {
    const single = here.find((p) => !p.rule.isArray && !p.rule.choice && p.key !== 'id' && p.key !== 'meta');
    if (single) {
      const r = clone(resource);
      r[single.key] = [r[single.key], r[single.key]];
      add('break-cardinality', `${single.key} (max 1) given twice`, r, `${type}.${single.key}`);
    }
  }

  // A code outside a required binding (terminologies.html#required).
  const coded = here.find((p) => p.rule.binding?.strength === 'required' && p.type === 'code' && !p.rule.isArray);
  if (coded) {
    const r = clone(resource);
    r[coded.key] = 'not-a-valid-code';
    add('wrong-required-code', `${coded.key} = not-a-valid-code`, r, itemExpression(type, coded));
  }

  // A primitive that breaks its format: an impossible calendar date, or a bad id.
  const dated = here.find((p) => (p.type === 'dateTime' || p.type === 'date') && !p.rule.isArray && typeof resource[p.key] === 'string');
  const r1 = clone(resource);
  if (dated) {
    r1[dated.key] = '2023-02-29';
    add('wrong-primitive-format', `${dated.key} = 2023-02-29`, r1, itemExpression(type, dated));
  } else {
    r1.id = 'not a valid id!';
    add('wrong-primitive-format', 'id with spaces', r1, `${type}.id`);
  }

  // Violate an invariant: a contained resource nothing refers to (dom-3), and where the
  // resource has a top-level Period, an end before its start (per-1, FHIRPath).
  const r2 = clone(resource);
  r2.contained = [...((r2.contained as unknown[]) ?? []), { resourceType: 'Basic', id: 'orphan-mutant', code: { text: 'orphan' } }];
  add('violate-invariant', 'unreferenced contained resource (dom-3)', r2, `${type}.contained[${(r2.contained as unknown[]).length - 1}]`);
  const period = here.find((p) => p.type === 'Period' && !p.rule.isArray);
  if (period) {
    const r = clone(resource);
    r[period.key] = { start: '2024-05-02', end: '2024-05-01' };
    add('violate-invariant', `${period.key} ends before it starts (per-1)`, r, itemExpression(type, period));
  }

  // Change a fixed or pattern value (elementdefinition.html#fixed, #pattern).
  const fixed = here.find((p) => (p.rule.fixed ?? p.rule.pattern) !== undefined);
  if (fixed) {
    const r = clone(resource);
    const v = fixed.rule.fixed ?? fixed.rule.pattern;
    const changed = typeof v === 'string' ? `${v}-changed` : { coding: [{ system: 'http://example.org/mutant', code: 'changed' }] };
    r[fixed.key] = fixed.rule.isArray ? [changed] : changed;
    add('change-fixed-value', `${fixed.key} differs from its fixed/pattern value`, r, itemExpression(type, fixed));
  }

  // Add an element the profile forbids (max 0), else an element no definition allows.
  const forbidden = profile.root.children.find((c) => c.max === 0 && !(c.name in resource));
  const r3 = clone(resource);
  if (forbidden) {
    const t = forbidden.types[0]?.code ?? 'string';
    const key = forbidden.choice ? forbidden.name + capitalize(t) : forbidden.name;
    const v = sampleValue(t);
    r3[key] = forbidden.isArray ? [v] : v;
    add('add-forbidden-element', `${key} (max 0 in the profile)`, r3, `${type}.${forbidden.name}`);
  } else {
    r3.mutantElement = 'x';
    add('add-forbidden-element', 'an element the definition does not have', r3, `${type}.mutantElement`);
  }

  // A reference to a type the element does not allow (type.targetProfile).
  const ref = here.find((p) => p.type === 'Reference' && p.rule.types.some((t) => t.targetProfiles.length > 0 && !t.targetProfiles.some((tp) => tp.endsWith('/Resource') || tp.endsWith('/Basic'))));
  if (ref) {
    const r = clone(resource);
    const target = { reference: 'Basic/mutant-target' };
    r[ref.key] = ref.rule.isArray ? [target] : target;
    add('wrong-reference-type', `${ref.key} points at a Basic`, r, itemExpression(type, ref));
  }
  return mutants;
}

if (import.meta.main) {
  const { readdirSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const { createConformance } = await import('../../src/conformance/index.ts');
  const { packagesDir, SDOHCC_PACKAGE } = await import('../support/packages-dir.ts');
  const dir = packagesDir();
  if (!dir) throw new Error('FHIR packages not found (set FHIR_PACKAGES_DIR)');
  const conformance = await createConformance({ packagesDir: dir });
  const examples = path.join(dir, SDOHCC_PACKAGE, 'package', 'example');
  const all = readdirSync(examples).flatMap((f) => generateMutants(f, JSON.parse(readFileSync(path.join(examples, f), 'utf8')), conformance.definitions));
  const counts = new Map<string, number>();
  for (const m of all) counts.set(m.operator, (counts.get(m.operator) ?? 0) + 1);
  console.log(`${all.length} mutants`, Object.fromEntries(counts));
}
