// Compiles a StructureDefinition snapshot (FHIR R4 elementdefinition.html,
// profiling.html) into a tree of element rules keyed by JSON property name, once per
// definition. The validator walks this tree; nothing is looked up by path string at
// validation time.
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

export interface TypeRef {
  code: string;
  profiles: string[];
  targetProfiles: string[];
}

export interface Invariant {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression: string;
  /** The compiled FHIRPath by base path, filled on first use (fhirpath-invariants.ts). */
  compiled?: Map<string, (node: unknown, resource: unknown, rootResource: unknown) => 'pass' | 'fail' | { error: string }>;
}

export interface Discriminator {
  type: 'value' | 'pattern' | 'type' | 'profile' | 'exists';
  path: string;
}

export interface Slicing {
  discriminators: Discriminator[];
  rules: 'open' | 'closed' | 'openAtEnd';
  ordered: boolean;
  slices: ElementRule[];
}

export interface Binding {
  strength: 'required' | 'extensible' | 'preferred' | 'example';
  valueSet?: string;
}

export interface ChildKey {
  rule: ElementRule;
  type: string;
}

export interface ElementRule {
  id: string;
  path: string;
  /** The JSON name: `value` for `value[x]`. */
  name: string;
  min: number;
  max: number;
  /** Arrays in JSON follow the base cardinality (json.html#arrays). */
  isArray: boolean;
  choice: boolean;
  types: TypeRef[];
  children: ElementRule[];
  /** JSON key (`valueQuantity`, `status`) to the child rule and the type that key carries. */
  keys: Map<string, ChildKey>;
  fixed?: unknown;
  pattern?: unknown;
  binding?: Binding;
  invariants: Invariant[];
  slicing?: Slicing;
  /** Type slices of a choice element (`value[x]:valueReference`) by type code. */
  typeSlices?: Map<string, ElementRule>;
  contentReference?: string;
  maxLength?: number;
  sliceName?: string;
  /** Position among its parent's children (definition order, for stable issue order). */
  order: number;
  profile: CompiledProfile;
}

export interface CompiledProfile {
  url: string;
  version?: string;
  name: string;
  /** The resource or data type constrained. */
  type: string;
  kind: string;
  root: ElementRule;
  byId: Map<string, ElementRule>;
  /** Where an extension may be used (StructureDefinition.context). */
  contexts: { type: string; expression: string }[];
}

/** Invariants implemented natively in the validator (walk.ts, native-invariants.ts). */
export const NATIVE_INVARIANTS = new Set(['ele-1', 'ext-1', 'dom-2', 'dom-3', 'dom-4', 'dom-5', 'dom-6', 'txt-1', 'txt-2', 'ref-1']);

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SYSTEM_TYPES: Record<string, string> = {
  'http://hl7.org/fhirpath/System.String': 'string',
  'http://hl7.org/fhirpath/System.Boolean': 'boolean',
  'http://hl7.org/fhirpath/System.Integer': 'integer',
  'http://hl7.org/fhirpath/System.Decimal': 'decimal',
  'http://hl7.org/fhirpath/System.Date': 'date',
  'http://hl7.org/fhirpath/System.DateTime': 'dateTime',
  'http://hl7.org/fhirpath/System.Time': 'time',
};

function typeCode(t: NonNullable<ElementDefinition['type']>[number]): string {
  const code = t.code ?? 'Element';
  if (!code.startsWith('http://hl7.org/fhirpath/')) return code;
  const ext = t.extension?.find((e) => e.url === FHIR_TYPE_EXT);
  return ext?.valueUrl ?? ext?.valueUri ?? SYSTEM_TYPES[code] ?? 'string';
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function cardinality(max: string | undefined): number {
  return max === undefined || max === '*' ? Infinity : Number(max);
}

function valueOf(e: ElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  for (const k of Object.keys(e)) {
    if (k.startsWith(prefix) && k.length > prefix.length && /[A-Z]/.test(k[prefix.length])) {
      return (e as unknown as Record<string, unknown>)[k];
    }
  }
  return undefined;
}

function makeRule(e: ElementDefinition, profile: CompiledProfile): ElementRule {
  const last = e.path.slice(e.path.lastIndexOf('.') + 1);
  const choice = last.endsWith('[x]');
  const baseMax = e.base?.max ?? e.max;
  const rule: ElementRule = {
    id: e.id ?? e.path,
    path: e.path,
    name: choice ? last.slice(0, -3) : last,
    min: e.min ?? 0,
    max: cardinality(e.max),
    isArray: baseMax !== '1' && baseMax !== '0',
    choice,
    types: (e.type ?? []).map((t) => ({ code: typeCode(t), profiles: t.profile ?? [], targetProfiles: t.targetProfile ?? [] })),
    children: [],
    keys: new Map(),
    order: 0,
    invariants: (e.constraint ?? [])
      .filter((c) => c.key && c.expression)
      .map((c) => ({ key: c.key!, severity: c.severity === 'warning' ? 'warning' : 'error', human: c.human ?? c.key!, expression: c.expression! })),
    profile,
  };
  const fixed = valueOf(e, 'fixed');
  if (fixed !== undefined) rule.fixed = fixed;
  const pattern = valueOf(e, 'pattern');
  if (pattern !== undefined) rule.pattern = pattern;
  if (e.binding?.strength) rule.binding = { strength: e.binding.strength, valueSet: e.binding.valueSet };
  if (e.contentReference) rule.contentReference = e.contentReference.slice(e.contentReference.indexOf('#') + 1);
  if (e.maxLength) rule.maxLength = e.maxLength;
  if (e.sliceName) rule.sliceName = e.sliceName;
  // resource.html#id: a resource id is an `id`, though R4 snapshots type it System.String.
  if (profile.kind === 'resource' && rule.name === 'id' && e.path.indexOf('.') === e.path.lastIndexOf('.') && e.path.includes('.')) {
    rule.types = [{ code: 'id', profiles: [], targetProfiles: [] }];
  }
  if (e.slicing) {
    rule.slicing = {
      discriminators: (e.slicing.discriminator ?? []).map((d) => ({ type: d.type, path: d.path })) as Discriminator[],
      rules: e.slicing.rules ?? 'open',
      ordered: e.slicing.ordered ?? false,
      slices: [],
    };
  }
  return rule;
}

function addKeys(parent: ElementRule, child: ElementRule): void {
  if (child.choice) {
    for (const t of child.types) parent.keys.set(child.name + capitalize(t.code), { rule: child, type: t.code });
  } else {
    parent.keys.set(child.name, { rule: child, type: child.types[0]?.code ?? 'BackboneElement' });
  }
}

/** The id of the element an element id hangs from: the longest known prefix before a `.`. */
function parentId(id: string, byId: Map<string, ElementRule>): string | undefined {
  for (let i = id.lastIndexOf('.'); i > 0; i = id.lastIndexOf('.', i - 1)) {
    const candidate = id.slice(0, i);
    if (byId.has(candidate)) return candidate;
  }
  return undefined;
}

export function compileProfile(sd: StructureDefinition): CompiledProfile {
  const elements = sd.snapshot?.element ?? [];
  const profile = {
    url: sd.url ?? '',
    version: sd.version,
    name: sd.name ?? sd.id ?? '',
    type: sd.type ?? '',
    kind: sd.kind ?? '',
    byId: new Map(),
    contexts: (sd.context ?? []).map((c) => ({ type: c.type ?? 'element', expression: c.expression ?? '' })),
  } as unknown as CompiledProfile;
  if (elements.length === 0) {
    throw new Error(`StructureDefinition ${sd.url} has no snapshot`);
  }
  profile.root = makeRule(elements[0], profile);
  profile.byId.set(profile.root.id, profile.root);
  for (let i = 1; i < elements.length; i++) {
    const rule = makeRule(elements[i], profile);
    const pid = parentId(rule.id, profile.byId);
    if (pid === undefined) continue;
    profile.byId.set(rule.id, rule);
    const lastSeg = rule.id.slice(pid.length + 1);
    const colon = lastSeg.indexOf(':');
    if (colon >= 0 && rule.sliceName) {
      attachSlice(profile, `${pid}.${lastSeg.slice(0, lastSeg.lastIndexOf('/') > colon ? lastSeg.lastIndexOf('/') : colon)}`, rule);
      continue;
    }
    const parent = profile.byId.get(pid)!;
    rule.order = parent.children.length;
    parent.children.push(rule);
    addKeys(parent, rule);
  }
  return profile;
}

function attachSlice(profile: CompiledProfile, slicedId: string, slice: ElementRule): void {
  const sliced = profile.byId.get(slicedId);
  if (!sliced) return;
  // A choice element sliced by type (`value[x]:valueQuantity`): the slice narrows one type.
  if (sliced.choice && slice.types.length === 1 && slice.sliceName === sliced.name + capitalize(slice.types[0].code)) {
    sliced.typeSlices ??= new Map();
    sliced.typeSlices.set(slice.types[0].code, slice);
    return;
  }
  sliced.slicing ??= { discriminators: [], rules: 'open', ordered: false, slices: [] };
  sliced.slicing.slices.push(slice);
}
