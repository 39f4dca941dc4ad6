// Compiles one rule of a mapping file into closures that run it in both directions.
// Rule forms (see mappings/README.md):
//   { partner, fhir [, conceptMap, unmapped, as] }   two-way correspondence
//   { fhir, const }                                  fixed FHIR value (also picks list items)
//   { partner, const }                               fixed partner value (from FHIR only)
//   { fhir, ref: role }                              reference to another created resource
//   { fhir | partner, compute, direction }           one-way FHIRPath expression
//   { each, fhir, rules }                            partner list <-> FHIR list
import fhirpath from 'fhirpath';
import type { Coding } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { compilePath } from './path.ts';
import type { CompiledPath } from './path.ts';
import type { CompiledConceptMap } from './concept-map.ts';
import type { CompiledRule, EvalContext, FromContext, PartnerRecord, RuleSite } from './types.ts';

export interface RuleEnv {
  file: string;
  lineOf(node: object): number;
  conceptMaps: Map<string, CompiledConceptMap>;
  /** Role name -> resource type and forEach partner path text (if any). */
  roles: Map<string, { type: string; forEach?: string }>;
  /** Partner path of the enclosing `each` group, relative to the role scope ('' at top). */
  group: string;
  partnerIndex: Map<string, { site: RuleSite; fhir: string; role: string }>;
  role: string;
  fhirPrefix: string;
}

export class RuleCompileError extends Error {
  readonly site: RuleSite;
  constructor(site: RuleSite, reason: string) {
    super(reason);
    this.site = site;
  }
}

const KEYS = new Set(['partner', 'fhir', 'conceptMap', 'unmapped', 'as', 'const', 'ref', 'key', 'compute', 'direction', 'each', 'distinct', 'rules', 'when', 'note']);

/** Copies plain JSON data (constants from mapping files); faster than structuredClone here. */
function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = cloneJson(value[key]);
    return out;
  }
  return value;
}

/** Marks a reference that is the `each` list item itself (e.g. CarePlan.goal[n]). */
const SELF: CompiledPath = { text: '', get: (root) => root, set: () => {}, getAll: (root) => [root] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(prefix: string, path: string): string {
  return prefix ? `${prefix}.${path}` : path;
}

function firstValue(result: unknown[]): unknown {
  if (result.length === 0) return undefined;
  return result.length === 1 ? result[0] : result;
}

export function compileRule(raw: unknown, env: RuleEnv): CompiledRule {
  const site: RuleSite = { file: env.file, line: isObject(raw) ? env.lineOf(raw) : 0 };
  const fail = (reason: string): never => {
    throw new RuleCompileError(site, reason);
  };
  if (!isObject(raw)) return fail('a rule must be an object');
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) fail(`unknown rule key "${key}"`);
  const path = (key: 'partner' | 'fhir' | 'each'): CompiledPath | undefined => {
    const text = raw[key];
    if (text === undefined) return undefined;
    if (typeof text !== 'string') return fail(`"${key}" must be a path string`);
    try {
      return compilePath(text);
    } catch (e) {
      return fail(`"${key}": ${(e as Error).message}`);
    }
  };
  const partner = path('partner');
  const fhir = path('fhir');
  const where = `${site.file}:${site.line}`;

  if (raw.each !== undefined) return compileEach(raw, env, site, path('each') as CompiledPath, fhir ?? fail('"each" needs "fhir" (the FHIR list)'));

  if (raw.compute !== undefined) {
    if (typeof raw.compute !== 'string') return fail('"compute" must be a FHIRPath expression string');
    const direction = raw.direction;
    if (direction !== 'to-fhir' && direction !== 'from-fhir') return fail('"compute" needs "direction: to-fhir" or "direction: from-fhir" (computed values are one-way)');
    let expr: (resource: unknown, vars?: Record<string, unknown>) => unknown[];
    if (/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(raw.compute)) {
      // A plain path (e.g. `id`) gives the same result as FHIRPath without its evaluator.
      const plain = compilePath(raw.compute);
      expr = (resource) => plain.getAll(resource);
    } else {
      try {
        expr = fhirpath.compile(raw.compute) as unknown as typeof expr;
      } catch (e) {
        return fail(`invalid FHIRPath in "compute": ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (direction === 'to-fhir') {
      if (!fhir || partner) return fail('a to-fhir "compute" writes a "fhir" path and has no "partner" path');
      return {
        site,
        fhir,
        refs: [],
        toFhir(scope, target, ctx) {
          const value = firstValue(expr(scope, { record: ctx.record }));
          if (value !== undefined) fhir.set(target, value);
        },
        fromFhir() {},
      };
    }
    if (!partner || fhir) return fail('a from-fhir "compute" writes a "partner" path and has no "fhir" path');
    return {
      site,
      partner,
      refs: [],
      toFhir() {},
      fromFhir(source, target) {
        const value = firstValue(expr(source));
        if (value !== undefined) partner.set(target, value);
      },
    };
  }
  if (raw.when !== undefined && raw.const === undefined) fail('"when" goes with a fixed FHIR value ("fhir" + "const")');
  if (raw.direction !== undefined) fail('"direction" belongs to "compute" rules and "each" groups only: correspondences run both ways');

  if (raw.ref !== undefined) {
    const role = raw.ref;
    if (typeof role !== 'string' || !env.roles.has(role)) return fail(`"ref" names an unknown role "${String(role)}"`);
    if (partner) return fail('a "ref" rule has a "fhir" path and no "partner" path');
    if (!fhir && env.group === '') return fail('a "ref" rule needs a "fhir" path (it may omit it only inside "each", to make the list item the reference)');
    const target = env.roles.get(role) as { type: string; forEach?: string };
    // `key`: a partner path whose value is the target item's id (e.g. HSDS location_id).
    let key: CompiledPath | undefined;
    if (raw.key !== undefined) {
      if (target.forEach === undefined) fail('"key" picks one of a per-item role\'s resources; this role is made once');
      key = typeof raw.key === 'string' ? compilePath(raw.key) : fail('"key" must be a partner path');
    } else if (target.forEach !== undefined && target.forEach !== env.group) {
      fail(`role "${role}" is made once per item of "${target.forEach}": reference it inside "each: ${target.forEach}" or name the item with "key"`);
    }
    const perItem = target.forEach !== undefined;
    return {
      site,
      fhir,
      refs: [{ role, path: fhir ?? SELF }],
      toFhir(scope, out, ctx, prefix, item) {
        let id: string | undefined;
        if (key) {
          const wanted = key.get(scope);
          if (wanted === undefined) return;
          id = ctx.idsByKey.get(role)?.get(String(wanted));
          if (id === undefined) {
            ctx.issues.push(issue('error', 'not-found', `No ${role} with this id in the record (rule ${where})`, at(prefix, key.text)));
            return;
          }
        } else {
          id = ctx.ids.get(role)?.[perItem ? item : 0];
        }
        if (id === undefined) return;
        const reference = { reference: `${ctx.types.get(role)}/${id}` };
        if (fhir) fhir.set(out, reference);
        else Object.assign(out, reference);
      },
      fromFhir() {},
    };
  }

  if (raw.const !== undefined) {
    const value = raw.const;
    if (fhir && partner) return fail('"const" goes with either "fhir" or "partner", not both');
    if (fhir) {
      // `when`: set the value only where the partner gives this field (e.g. a code system
      // beside a code that may be absent).
      let when: CompiledPath | undefined;
      if (raw.when !== undefined) when = typeof raw.when === 'string' ? compilePath(raw.when) : fail('"when" must be a partner path');
      return {
        site,
        fhir,
        fhirConst: when ? undefined : { path: fhir, value },
        refs: [],
        toFhir(scope, target) {
          if (when) {
            const v = when.get(scope);
            if (v === undefined || v === null || v === false) return;
          }
          fhir.set(target, cloneJson(value));
        },
        fromFhir() {},
      };
    }
    if (!partner) return fail('"const" needs a "fhir" or "partner" path');
    return {
      site,
      partner,
      refs: [],
      toFhir() {},
      fromFhir(_source, target) {
        partner.set(target, cloneJson(value));
      },
    };
  }

  if (!partner || !fhir) return fail('a correspondence needs both "partner" and "fhir" paths');
  env.partnerIndex.set(at(env.group, partner.text), { site, fhir: at(env.fhirPrefix, fhir.text), role: env.role });

  if (raw.conceptMap === undefined) {
    if (raw.unmapped !== undefined || raw.as !== undefined) fail('"unmapped" and "as" go with "conceptMap"');
    return {
      site,
      partner,
      fhir,
      refs: [],
      toFhir(scope, target) {
        const value = partner.get(scope);
        if (value !== undefined) fhir.set(target, value);
      },
      fromFhir(source, target) {
        const value = fhir.get(source);
        if (value !== undefined) partner.set(target, value);
      },
    };
  }

  const map = typeof raw.conceptMap === 'string' ? env.conceptMaps.get(raw.conceptMap) : undefined;
  if (!map) return fail(`"conceptMap" names an unknown ConceptMap "${String(raw.conceptMap)}" (list it under conceptMaps)`);
  const unmapped = raw.unmapped ?? 'error';
  if (unmapped !== 'error' && unmapped !== 'omit') fail('"unmapped" is "error" or "omit"');
  const as = raw.as ?? 'coding';
  if (as !== 'coding' && as !== 'code') fail('"as" is "coding" (write a Coding) or "code" (write the code only)');
  const codeToSource = new Map<string, string>();
  for (const c of map.sourceCodes()) {
    const target = map.forward(c)?.code;
    if (target !== undefined && !codeToSource.has(target)) codeToSource.set(target, c);
  }
  return {
    site,
    partner,
    fhir,
    refs: [],
    toFhir(scope, target, ctx: EvalContext, prefix) {
      const value = partner.get(scope);
      if (value === undefined) return;
      const coding = map.forward(String(value));
      if (!coding) {
        if (unmapped === 'error') {
          ctx.issues.push(issue('error', 'code-invalid', `Code is not in ConceptMap "${map.name}" (rule ${where})`, at(prefix, partner.text)));
        }
        return;
      }
      fhir.set(target, as === 'code' ? coding.code : { ...coding });
    },
    fromFhir(source, target, ctx: FromContext, fhirPrefix) {
      const value = fhir.get(source);
      if (value === undefined) return;
      const code = as === 'code' ? codeToSource.get(String(value)) : map.reverse(value as Coding);
      if (code === undefined) {
        if (unmapped === 'error') {
          ctx.issues.push(issue('error', 'code-invalid', `Code is not in ConceptMap "${map.name}" (rule ${where})`, at(fhirPrefix, fhir.text)));
        }
        return;
      }
      partner.set(target, code);
    },
  };
}

function compileEach(raw: Record<string, unknown>, env: RuleEnv, site: RuleSite, each: CompiledPath, fhir: CompiledPath): CompiledRule {
  if (raw.partner !== undefined || raw.const !== undefined || raw.ref !== undefined) {
    throw new RuleCompileError(site, '"each" rules hold their own "rules"; put partner/const/ref inside them');
  }
  if (!Array.isArray(raw.rules) || raw.rules.length === 0) throw new RuleCompileError(site, '"each" needs a non-empty "rules" list');
  // A one-way group (`direction: to-fhir`) derives FHIR content that does not come back,
  // e.g. CarePlan.category per kind of activity; `distinct` drops repeated output items.
  const direction = raw.direction;
  if (direction !== undefined && direction !== 'to-fhir') throw new RuleCompileError(site, '"each" groups run both ways or "direction: to-fhir"');
  const distinct = raw.distinct === true;
  const inner = raw.rules.map((r) =>
    compileRule(r, {
      ...env,
      group: at(env.group, each.text),
      fhirPrefix: at(env.fhirPrefix, `${fhir.text}[*]`),
      // One-way groups do not feed the partner-path index used to explain from-FHIR gaps.
      partnerIndex: direction === 'to-fhir' ? new Map() : env.partnerIndex,
    }),
  );
  const consts = inner.flatMap((r) => (r.fhirConst ? [r.fhirConst] : []));
  const refs = inner.flatMap((r) =>
    r.refs.map((ref) => ({ role: ref.role, path: ref.path === SELF ? fhir : compilePath(`${fhir.text}.${ref.path.text}`) })),
  );
  return {
    site,
    partner: each,
    fhir,
    refs,
    toFhir(scope, target, ctx, prefix) {
      const items = each.get(scope);
      if (!Array.isArray(items)) return;
      const existing = fhir.get(target);
      const list: unknown[] = Array.isArray(existing) ? existing : [];
      items.forEach((item, i) => {
        const out: Record<string, unknown> = {};
        const itemPrefix = `${at(prefix, each.text)}[${i}]`;
        for (const rule of inner) rule.toFhir(item as PartnerRecord, out, ctx, itemPrefix, i);
        if (Object.keys(out).length === 0) return;
        if (distinct && list.some((prev) => JSON.stringify(prev) === JSON.stringify(out))) return;
        list.push(out);
      });
      if (list.length > 0 && existing === undefined) fhir.set(target, list);
    },
    fromFhir(source, target, ctx, fhirPrefix) {
      if (direction === 'to-fhir') return;
      const items = fhir.get(source);
      if (!Array.isArray(items)) return;
      const out: PartnerRecord[] = [];
      items.forEach((item, i) => {
        if (!consts.every((c) => contains(c.path.get(item), c.value))) return;
        const record: PartnerRecord = {};
        for (const rule of inner) rule.fromFhir(item as Record<string, unknown>, record, ctx, `${at(fhirPrefix, fhir.text)}[${i}]`);
        if (Object.keys(record).length > 0) out.push(record);
      });
      if (out.length > 0) mergeList(each, target, out);
    },
  };
}

/** True when `actual` holds everything `expected` says (extra properties and list items allowed). */
export function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((e) => actual.some((a) => contains(a, e)));
  }
  if (isObject(expected)) {
    return isObject(actual) && Object.entries(expected).every(([k, v]) => contains(actual[k], v));
  }
  return actual === expected;
}

/**
 * Sets a partner list, merging item by item with a list another rule already wrote there
 * (a partner list can be fed by an `each` group and by per-item resources together).
 */
export function mergeList(path: CompiledPath, target: PartnerRecord, items: PartnerRecord[]): void {
  const existing = path.get(target);
  if (!Array.isArray(existing)) {
    path.set(target, items);
    return;
  }
  items.forEach((item, i) => {
    existing[i] = isObject(existing[i]) ? { ...(existing[i] as object), ...item } : item;
  });
}

export function isRuleObject(v: unknown): v is Record<string, unknown> {
  return isObject(v);
}

export type { FromContext };
