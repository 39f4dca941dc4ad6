// The walk's shared types and the one lookup every part of it needs: which rule describes
// the content of an element of a given type (its own children, a contentReference, the
// type's profile, or the type's base definition).
import type { CompiledProfile, ElementRule } from './compile.ts';
import type { InvariantCompiler } from './fhirpath-invariants.ts';
import type { IssueSink } from './issues.ts';
import type { ReferenceScope } from './references.ts';
import type { Membership, Terminology } from './terminology.ts';

export interface WalkEngine {
  terminology: Terminology;
  invariants: InvariantCompiler;
  /** Compiled profile by canonical, undefined when not known. */
  profile(canonical: string): CompiledProfile | undefined;
  /** Compiled base definition of a type or resource. */
  typeModel(code: string): CompiledProfile | undefined;
  /** Why a canonical did not resolve to a usable profile, for "could not check" texts. */
  whyUnknown(canonical: string): string;
  /** Whether a resource conforms to a profile, for `profile` discriminators. */
  conforms(resource: Record<string, unknown>, profile: string, scope: ReferenceScope): Membership;
}

export interface WalkContext {
  engine: WalkEngine;
  sink: IssueSink;
  /** JSON number source texts by holder object and key (json.html#decimal). */
  numberSources?: WeakMap<object, Map<string, string>>;
  bundle?: Map<string, Record<string, unknown>>;
  depth: number;
}

export interface ResourceFrame {
  resource: Record<string, unknown>;
  root: Record<string, unknown>;
  scope: ReferenceScope;
}

/** The rule whose children describe an item of `rule` carrying `type`. */
export function structureFor(rule: ElementRule, type: string | undefined, engine: WalkEngine): ElementRule | undefined {
  if (rule.children.length > 0) return rule;
  if (rule.contentReference) return rule.profile.byId.get(rule.contentReference);
  const t = type ?? rule.types[0]?.code;
  if (!t) return undefined;
  const ref = rule.types.find((x) => x.code === t);
  if (ref && ref.profiles.length > 0) {
    const p = engine.profile(ref.profiles[0]);
    if (p) return p.root;
  }
  return engine.typeModel(t)?.root;
}
