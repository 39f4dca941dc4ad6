// The validator's walk: one pass over a resource's JSON against compiled element rules
// (compile.ts). Implements FHIR R4 json.html (shape, arrays, `_x` primitive extensions,
// resourceType), elementdefinition.html (cardinality, types, fixed/pattern, bindings,
// constraints), profiling.html#slicing and extensibility.html (extensions by URL).
import type { CompiledProfile, ElementRule } from './compile.ts';
import { NATIVE_INVARIANTS } from './compile.ts';
import { checkBinding, checkCodeSystems } from './bindings.ts';
import type { IssueSink } from './issues.ts';
import { checkDomainResource, checkExtensionValue } from './native-invariants.ts';
import { checkReference, extensionStructure } from './links.ts';
import { isPrimitiveType, primitiveCheck } from './primitives.ts';
import { assignSlices } from './slice-assignment.ts';
import { capitalize, deepEqual, isObject, matchesPattern } from './values.ts';
import { structureFor, type ResourceFrame, type WalkContext } from './walk-context.ts';

export type { WalkContext, WalkEngine } from './walk-context.ts';
export { structureFor } from './walk-context.ts';

const MAX_DEPTH = 32;

/** Validates one resource against the given profiles (the base definition when none). */
export function walkResource(
  value: unknown,
  profiles: string[],
  path: string | undefined,
  ctx: WalkContext,
  container?: Record<string, unknown>,
): void {
  const { sink, engine } = ctx;
  const where = path ?? 'Resource';
  if (!isObject(value)) {
    sink.add('error', 'structure', 'A resource must be a JSON object', where);
    return;
  }
  const type = value.resourceType;
  if (typeof type !== 'string') {
    sink.add('error', 'structure', 'The resource has no resourceType', where);
    return;
  }
  const base = engine.typeModel(type);
  if (!base || base.kind !== 'resource') {
    sink.add('error', 'structure', `Unknown resource type '${type}'`, `${where}.resourceType`);
    return;
  }
  if (ctx.depth > MAX_DEPTH) {
    sink.add('error', 'too-long', 'Resources are nested too deeply', where);
    return;
  }
  const rootPath = path ?? type;
  const frame: ResourceFrame = {
    resource: value,
    root: container ?? value,
    scope: { contained: containedById(value), bundle: ctx.bundle, container },
  };
  const declared = isObject(value.meta) && Array.isArray(value.meta.profile) ? value.meta.profile.filter((p): p is string => typeof p === 'string') : [];
  const compiled: CompiledProfile[] = [];
  for (const canonical of [...profiles, ...declared]) {
    const p = engine.profile(canonical);
    if (!p) {
      sink.add('warning', 'not-found', `Profile ${canonical} is not known here, so conformance to it could not be checked: ${engine.whyUnknown(canonical)}`, rootPath);
    } else if (p.type !== type) {
      sink.add('error', 'invalid', `Profile ${canonical} is for ${p.type}, not ${type}`, rootPath);
    } else if (!compiled.includes(p)) {
      compiled.push(p);
    }
  }
  if (compiled.length === 0) compiled.push(base);
  ctx.depth++;
  try {
    for (const p of compiled) {
      walkObject(value, p.root, rootPath, ctx, frame, true);
      runInvariants(value, p.root, p.root, type, rootPath, ctx, frame);
    }
    if (base.root.invariants.some((i) => i.key === 'dom-2')) checkDomainResource(value, rootPath, container !== undefined, sink);
  } finally {
    ctx.depth--;
  }
}

function containedById(resource: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const map = new Map<string, Record<string, unknown>>();
  if (Array.isArray(resource.contained)) {
    for (const c of resource.contained) if (isObject(c) && typeof c.id === 'string') map.set(c.id, c);
  }
  return map;
}

interface Found {
  rule: ElementRule;
  key: string;
  type: string;
}

/** Whether an absent child breaks a rule: min > 0, or a required slice or type slice. */
function demandsPresence(child: ElementRule): boolean {
  if (child.min > 0) return true;
  if (child.slicing?.slices.some((s) => s.min > 0)) return true;
  if (child.typeSlices) for (const s of child.typeSlices.values()) if (s.min > 0) return true;
  return false;
}

// The children of a rule that must be present, computed once per rule.
const demandedCache = new WeakMap<ElementRule, ElementRule[]>();
function demanded(struct: ElementRule): ElementRule[] {
  let d = demandedCache.get(struct);
  if (!d) demandedCache.set(struct, (d = struct.children.filter(demandsPresence)));
  return d;
}

function reportAbsent(child: ElementRule, path: string, sink: IssueSink): void {
  const childPath = `${path}.${child.name}`;
  if (child.min > 0) {
    sink.add('error', 'required', `${child.path}: minimum required = ${child.min}, but only found 0`, childPath);
  } else {
    for (const s of child.slicing?.slices ?? []) {
      if (s.min > 0) sink.add('error', 'required', `${child.path}: slice '${s.sliceName}' requires at least ${s.min}, but found 0`, childPath);
    }
  }
  if (child.typeSlices) for (const [t, s] of child.typeSlices) {
    if (s.min > 0) sink.add('error', 'required', `${child.path}: a value of type ${t} is required`, childPath);
  }
}

function walkObject(
  obj: Record<string, unknown>,
  struct: ElementRule,
  path: string,
  ctx: WalkContext,
  frame: ResourceFrame,
  isResourceRoot: boolean,
): void {
  const { sink } = ctx;
  const found: Found[] = [];
  let keyCount = 0;
  for (const key in obj) {
    keyCount++;
    if (isResourceRoot && key === 'resourceType') continue;
    const under = key.charCodeAt(0) === 95;
    const name = under ? key.slice(1) : key;
    const ck = struct.keys.get(name);
    if (!ck) {
      sink.add('error', 'structure', `Unknown element '${key}'`, `${path}.${key}`);
      continue;
    }
    if (under) {
      if (!isPrimitiveType(ck.type)) sink.add('error', 'structure', `'${key}' is only allowed for primitive elements`, `${path}.${key}`);
      if (name in obj) continue;
    }
    found.push({ rule: ck.rule, key: name, type: ck.type });
  }
  if (keyCount === 0 || (keyCount === 1 && 'id' in obj && !isResourceRoot)) {
    sink.add('error', 'invariant', 'All FHIR elements must have a @value or children (ele-1)', path);
  }
  for (const child of demanded(struct)) {
    if (!found.some((f) => f.rule === child)) reportAbsent(child, path, sink);
  }
  // Definition order, so issues come out in the same order whatever the key order.
  if (found.length > 1) found.sort((a, b) => a.rule.order - b.rule.order);
  for (let i = 0; i < found.length; i++) {
    const e = found[i];
    if (i > 0 && found[i - 1].rule === e.rule) continue;
    if (i + 1 < found.length && found[i + 1].rule === e.rule) {
      const keys = found.filter((f) => f.rule === e.rule).map((f) => f.key);
      sink.add('error', 'structure', `${e.rule.path} takes one type only, but found ${keys.join(', ')}`, `${path}.${e.rule.name}`);
    }
    walkChild(obj, e, e.rule, path, ctx, frame);
  }
}

function itemPath(base: string, child: ElementRule, index: number | undefined, type: string): string {
  let p = `${base}.${child.name}`;
  if (index !== undefined) p += `[${index}]`;
  if (child.choice) p += `.ofType(${type})`;
  return p;
}

function walkChild(obj: Record<string, unknown>, e: Found, child: ElementRule, path: string, ctx: WalkContext, frame: ResourceFrame): void {
  const { sink } = ctx;
  const value = obj[e.key];
  const ext = obj[`_${e.key}`];
  const elementPath = `${path}.${e.key}`;
  let values: unknown[];
  let exts: unknown[] | undefined;
  if (child.isArray) {
    if (value !== undefined && !Array.isArray(value)) {
      sink.add('error', 'structure', `${child.path} repeats, so its JSON value must be an array`, elementPath);
      return;
    }
    if (ext !== undefined && !Array.isArray(ext)) {
      sink.add('error', 'structure', `_${e.key} must be an array like ${e.key}`, `${path}._${e.key}`);
      return;
    }
    values = (value as unknown[] | undefined) ?? [];
    exts = ext as unknown[] | undefined;
    if ((value !== undefined && values.length === 0) || (exts !== undefined && exts.length === 0)) {
      sink.add('error', 'structure', 'Arrays must not be empty (json.html#arrays)', elementPath);
      return;
    }
    if (exts && value !== undefined && exts.length !== values.length) {
      sink.add('error', 'structure', `_${e.key} must have as many items as ${e.key}`, `${path}._${e.key}`);
    }
  } else {
    if (Array.isArray(value) || Array.isArray(ext)) {
      sink.add('error', 'structure', `${child.path} does not repeat, so its JSON value must not be an array`, elementPath);
      return;
    }
    values = [value];
    exts = ext === undefined ? undefined : [ext];
  }
  const count = Math.max(values.length, exts?.length ?? 0);
  const basePath = `${path}.${child.name}`;
  if (count < child.min) sink.add('error', 'required', `${child.path}: minimum required = ${child.min}, but only found ${count}`, basePath);
  if (count > child.max) {
    sink.add('error', 'structure', child.max === 0 ? `${child.path} is not allowed here (max 0)` : `${child.path}: maximum allowed = ${child.max}, but found ${count}`, basePath);
  }
  if (child.typeSlices) {
    for (const [t, s] of child.typeSlices) if (s.min > 0 && e.type !== t) sink.add('error', 'structure', `${child.path}: the value must be of type ${t}`, basePath);
  }
  const assigned = child.slicing && child.slicing.slices.length > 0 ? assignSlices(values, e.type, child, basePath, ctx, frame) : undefined;
  for (let i = 0; i < count; i++) {
    const item = values[i];
    const itemExt = exts?.[i];
    const ip = itemPath(path, child, child.isArray ? i : undefined, e.type);
    if ((item === null || item === undefined) && (itemExt === null || itemExt === undefined)) {
      sink.add('error', 'structure', 'null is only allowed in a primitive array that has a matching _ extension (json.html#primitive)', ip);
      continue;
    }
    const rule = (assigned?.[i] && assigned[i] !== 'unknown' ? assigned[i] : undefined) as ElementRule | undefined;
    const r = rule ?? child.typeSlices?.get(e.type) ?? child;
    const holder = child.isArray ? (value as object) : obj;
    const sourceKey = child.isArray ? String(i) : e.key;
    validateItem(item, itemExt, r, e.type, ip, ctx, frame, holder, sourceKey);
  }
}

function validateItem(
  item: unknown,
  itemExt: unknown,
  rule: ElementRule,
  type: string,
  path: string,
  ctx: WalkContext,
  frame: ResourceFrame,
  holder: object,
  sourceKey: string,
): void {
  const { sink, engine } = ctx;
  if (type === 'Resource' || (type !== 'BackboneElement' && engine.typeModel(type)?.kind === 'resource')) {
    // resource.html#contained: only `contained` resources live inside their container;
    // Bundle entries and Parameters resources stand on their own.
    const contained = rule.path.endsWith('.contained');
    walkResource(item, [], path, ctx, contained ? frame.root : undefined);
    return;
  }
  if (isPrimitiveType(type)) {
    if (item !== null && item !== undefined) {
      const source = typeof item === 'number' ? ctx.numberSources?.get(holder)?.get(sourceKey) : undefined;
      const problem = primitiveCheck(type)(item, source);
      if (problem) sink.add('error', 'value', problem, path);
      else if (rule.maxLength && typeof item === 'string' && item.length > rule.maxLength) {
        sink.add('error', 'too-long', `The value is longer than the maximum length ${rule.maxLength}`, path);
      }
    }
    if (itemExt !== undefined && itemExt !== null) {
      if (!isObject(itemExt)) sink.add('error', 'structure', 'A primitive extension (_x) must be an object', path);
      else {
        if ((item === null || item === undefined) && !(Array.isArray(itemExt.extension) && itemExt.extension.length > 0)) {
          sink.add('error', 'invariant', 'All FHIR elements must have a @value or children (ele-1)', path);
        }
        const struct = structureFor(rule, type, engine);
        if (struct) walkPrimitiveExtension(itemExt, struct, path, ctx, frame);
      }
    }
  } else {
    if (!isObject(item)) {
      sink.add('error', 'structure', `${rule.path} is of type ${type}, so its JSON value must be an object`, path);
      return;
    }
    let struct = structureFor(rule, type, engine);
    if (type === 'Extension' && rule.children.length === 0) struct = extensionStructure(item, struct, rule, path, ctx);
    if (struct) {
      walkObject(item, struct, path, ctx, frame, false);
      if (struct !== rule) runInvariants(item, struct, struct, type, path, ctx, frame);
    }
    if (type === 'Extension' || rule.types[0]?.code === 'Extension') checkExtensionValue(item, path, sink);
    if (type === 'Reference') checkReference(item, rule, path, ctx, frame);
  }
  if (rule.fixed !== undefined && !deepEqual(item, rule.fixed)) {
    sink.add('error', 'value', `${rule.path}: the value does not equal the fixed value ${short(rule.fixed)}`, path);
  }
  if (rule.pattern !== undefined && !matchesPattern(item, rule.pattern)) {
    sink.add('error', 'value', `${rule.path}: the value does not match the pattern ${short(rule.pattern)}`, path);
  }
  if (rule.binding) checkBinding(item, type, rule.binding, path, engine.terminology, sink);
  if (type === 'Coding' || type === 'CodeableConcept') checkCodeSystems(item, type, path, engine.terminology, sink);
  runInvariants(item, rule, rule, type, path, ctx, frame);
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function walkPrimitiveExtension(ext: Record<string, unknown>, struct: ElementRule, path: string, ctx: WalkContext, frame: ResourceFrame): void {
  for (const key of Object.keys(ext)) {
    if (key !== 'id' && key !== 'extension') ctx.sink.add('error', 'structure', `Unknown element '${key}' in a primitive extension`, `${path}.${key}`);
  }
  const extRule = struct.children.find((c) => c.name === 'extension');
  if (extRule && ext.extension !== undefined) {
    walkChild(ext, { rule: extRule, key: 'extension', type: 'Extension' }, extRule, path, ctx, frame);
  }
}

function runInvariants(item: unknown, rule: ElementRule, owner: ElementRule, type: string, path: string, ctx: WalkContext, frame: ResourceFrame): void {
  if (rule.invariants.length === 0) return;
  const base = owner.choice ? owner.path.replace(/\[x\]$/, capitalize(type)) : owner.path;
  for (const inv of rule.invariants) {
    if (NATIVE_INVARIANTS.has(inv.key)) continue;
    let byBase = inv.compiled;
    if (!byBase) inv.compiled = byBase = new Map();
    let fn = byBase.get(base);
    if (!fn) byBase.set(base, (fn = ctx.engine.invariants.compile(inv.expression, base)));
    const result = fn(item, frame.resource, frame.root);
    if (result === 'pass') continue;
    if (result === 'fail') {
      ctx.sink.add(inv.severity, 'invariant', `Constraint ${inv.key} failed: ${inv.human}`, path);
    } else {
      ctx.sink.add('information', 'informational', `Could not check constraint ${inv.key} because ${result.error}`, path);
    }
  }
}
