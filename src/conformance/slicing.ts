// Slice membership (FHIR R4 profiling.html#slicing, #discriminator): which slice an item
// of a sliced element belongs to, by `value`, `pattern`, `type`, `profile` and `exists`
// discriminators. The answer is 'unknown' when it needs something not available here
// (an unresolvable reference for a `profile` discriminator on `resolve()`).
import type { ElementRule } from './compile.ts';
import { isPrimitiveType } from './primitives.ts';
import { resolveLocal, type ReferenceScope } from './references.ts';
import type { Membership } from './terminology.ts';
import { deepEqual, isObject, matchesPattern } from './values.ts';

export interface SliceEnv {
  /** The rule describing the content of an item of `rule` with the given type. */
  structureFor(rule: ElementRule, type: string | undefined): ElementRule | undefined;
  scope: ReferenceScope;
  /** Whether a resource conforms to a profile (no errors). */
  conforms(resource: Record<string, unknown>, profile: string): Membership;
  /** Whether a code, Coding or CodeableConcept is in a value set. */
  memberOf(value: unknown, valueSet: string): Membership;
}

interface Node {
  value: unknown;
  type?: string;
}

function splitPath(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '.' && depth === 0) {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out.filter((s) => s.length > 0);
}

const EXTENSION_FN = /^extension\('([^']*)'\)$/;
const OF_TYPE = /^ofType\(([A-Za-z]+)\)$/;

function typeFromKey(suffix: string): string {
  const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  return isPrimitiveType(lower) ? lower : suffix;
}

function children(node: Node, name: string): Node[] {
  const v = node.value;
  if (!isObject(v)) return [];
  const direct = v[name];
  if (direct !== undefined) return (Array.isArray(direct) ? direct : [direct]).map((value) => ({ value }));
  for (const key of Object.keys(v)) {
    if (key.length > name.length && key.startsWith(name) && /[A-Z]/.test(key[name.length])) {
      return [{ value: v[key], type: typeFromKey(key.slice(name.length)) }];
    }
  }
  return [];
}

/** Evaluates the FHIRPath subset discriminators use on one item. */
export function evaluatePath(start: Node, path: string, env: SliceEnv): Node[] | 'unknown' {
  let nodes: Node[] = [start];
  for (const seg of splitPath(path)) {
    if (seg === '$this') continue;
    if (seg === 'resolve()') {
      const next: Node[] = [];
      for (const n of nodes) {
        const target = resolveLocal(n.value, env.scope);
        if (!target) return 'unknown';
        next.push({ value: target, type: target.resourceType as string });
      }
      nodes = next;
      continue;
    }
    const ext = EXTENSION_FN.exec(seg);
    if (ext) {
      nodes = nodes.flatMap((n) => children(n, 'extension')).filter((n) => isObject(n.value) && n.value.url === ext[1]);
      continue;
    }
    const ofType = OF_TYPE.exec(seg);
    if (ofType) {
      nodes = nodes.filter((n) => (n.type ?? (isObject(n.value) ? n.value.resourceType : undefined)) === ofType[1]);
      continue;
    }
    nodes = nodes.flatMap((n) => children(n, seg));
  }
  return nodes;
}

interface Expected {
  rule?: ElementRule;
  values?: unknown[];
  viaPattern?: boolean;
}

function navigateValue(values: unknown[], segs: string[]): unknown[] {
  let cur = values;
  for (const s of segs) {
    if (s === '$this') continue;
    cur = cur.flatMap((v) => {
      if (!isObject(v)) return [];
      const x = v[s];
      return x === undefined ? [] : Array.isArray(x) ? x : [x];
    });
  }
  return cur;
}

/** What the slice definition says is at the discriminator path. */
function expectedAt(slice: ElementRule, path: string, env: SliceEnv): Expected {
  const segs = splitPath(path);
  let cur: ElementRule | undefined = slice;
  let type: string | undefined;
  for (let i = 0; i < segs.length && cur; i++) {
    const seg = segs[i];
    if (seg === '$this' || seg === 'resolve()') continue;
    const fixedOrPattern = cur.fixed ?? cur.pattern;
    if (fixedOrPattern !== undefined) {
      return { values: navigateValue([fixedOrPattern], segs.slice(i)), viaPattern: cur.pattern !== undefined };
    }
    const ext = EXTENSION_FN.exec(seg);
    if (ext) {
      const extRule: ElementRule | undefined = env.structureFor(cur, type)?.children.find((c) => c.name === 'extension');
      cur = extRule?.slicing?.slices.find((s) => s.types.some((t) => t.profiles.includes(ext[1])));
      type = 'Extension';
      continue;
    }
    const ofType = OF_TYPE.exec(seg);
    if (ofType) {
      cur = cur.typeSlices?.get(ofType[1]) ?? cur;
      type = ofType[1];
      continue;
    }
    const struct = env.structureFor(cur, type);
    cur = struct?.children.find((c) => c.name === seg);
    type = cur && !cur.choice ? cur.types[0]?.code : undefined;
  }
  return { rule: cur };
}

function expectedTypes(rule: ElementRule): string[] {
  if (rule.typeSlices) {
    const required = [...rule.typeSlices.entries()].filter(([, s]) => s.min > 0).map(([t]) => t);
    if (required.length > 0) return required;
  }
  return rule.types.map((t) => t.code);
}

// What a slice expects depends only on the compiled definitions: computed once per slice.
const expectedCache = new WeakMap<ElementRule, Map<string, Expected>>();

function cachedExpected(slice: ElementRule, path: string, env: SliceEnv): Expected {
  let bySlice = expectedCache.get(slice);
  if (!bySlice) expectedCache.set(slice, (bySlice = new Map()));
  let e = bySlice.get(path);
  if (!e) bySlice.set(path, (e = expectedAt(slice, path, env)));
  return e;
}

function matchOne(slice: ElementRule, item: Node, d: { type: string; path: string }, env: SliceEnv): Membership {
  const expected = cachedExpected(slice, d.path, env);
  const actual = evaluatePath(item, d.path, env);
  if (actual === 'unknown') return 'unknown';
  switch (d.type) {
    case 'value':
    case 'pattern': {
      let values = expected.values;
      let pattern = expected.viaPattern ?? false;
      if (!values && expected.rule) {
        const v = expected.rule.fixed ?? expected.rule.pattern;
        if (v !== undefined) {
          values = [v];
          pattern = expected.rule.pattern !== undefined;
        }
      }
      if ((!values || values.length === 0) && expected.rule?.binding?.strength === 'required' && expected.rule.binding.valueSet) {
        // A required binding on the slice discriminates by value set membership.
        const vs = expected.rule.binding.valueSet;
        let result: Membership = 'no';
        for (const a of actual) {
          const m = env.memberOf(a.value, vs);
          if (m === 'yes') return 'yes';
          if (m === 'unknown') result = 'unknown';
        }
        return result;
      }
      if (!values || values.length === 0) return 'unknown';
      const ok = values.every((e) => actual.some((a) => (pattern || d.type === 'pattern' ? matchesPattern(a.value, e) : deepEqual(a.value, e))));
      return ok ? 'yes' : 'no';
    }
    case 'type': {
      if (!expected.rule) return 'unknown';
      const types = expectedTypes(expected.rule);
      const ok = actual.some((a) => {
        const t = a.type ?? (isObject(a.value) ? (a.value.resourceType as string | undefined) : undefined);
        return t !== undefined && types.includes(t);
      });
      return ok ? 'yes' : 'no';
    }
    case 'exists': {
      if (!expected.rule) return 'unknown';
      const mustExist = expected.rule.min > 0;
      return actual.length > 0 === mustExist ? 'yes' : 'no';
    }
    case 'profile': {
      if (!expected.rule) return 'unknown';
      const profiles = d.path.includes('resolve()')
        ? expected.rule.types.flatMap((t) => t.targetProfiles)
        : expected.rule.types.flatMap((t) => t.profiles);
      if (profiles.length === 0 || actual.length === 0) return actual.length === 0 ? 'no' : 'unknown';
      let result: Membership = 'no';
      for (const a of actual) {
        if (!isObject(a.value)) continue;
        for (const p of profiles) {
          const m = env.conforms(a.value, p);
          if (m === 'yes') return 'yes';
          if (m === 'unknown') result = 'unknown';
        }
      }
      return result;
    }
    default:
      return 'unknown';
  }
}

/** Membership of one item in one slice: every discriminator must say yes. */
export function sliceMatch(sliced: ElementRule, slice: ElementRule, item: Node, env: SliceEnv): Membership {
  const discriminators = sliced.slicing?.discriminators ?? [];
  if (discriminators.length === 0) return 'unknown';
  let result: Membership = 'yes';
  for (const d of discriminators) {
    const m = matchOne(slice, item, d, env);
    if (m === 'no') return 'no';
    if (m === 'unknown') result = 'unknown';
  }
  return result;
}
