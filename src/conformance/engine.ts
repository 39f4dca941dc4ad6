// Assembles the walk's engine from a definition index: compiled profiles (once per
// StructureDefinition), terminology, FHIRPath invariants. Pure over its inputs.
import type { StructureDefinition } from '@medplum/fhirtypes';
import { memberOf } from './bindings.ts';
import { compileProfile, type CompiledProfile } from './compile.ts';
import type { Definitions } from './definitions.ts';
import { createInvariantCompiler } from './fhirpath-invariants.ts';
import { createIssueSink } from './issues.ts';
import type { ReferenceScope } from './references.ts';
import { generateSnapshot } from './snapshot.ts';
import { createTerminology } from './terminology.ts';
import type { Membership } from './terminology.ts';
import { walkResource, type WalkEngine } from './walk.ts';

// StructureDefinition objects of the R4 base are shared by every validator in the process;
// so are their compiled forms (immutable once built).
const compiledBySd = new WeakMap<StructureDefinition, CompiledProfile | null>();

function compiled(sd: StructureDefinition | undefined): CompiledProfile | undefined {
  if (!sd) return undefined;
  let c = compiledBySd.get(sd);
  if (c === undefined) {
    c = sd.snapshot?.element?.length ? compileProfile(sd) : null;
    compiledBySd.set(sd, c);
  }
  return c ?? undefined;
}

export function createEngine(defs: Definitions): WalkEngine {
  const conformsCache = new WeakMap<object, Map<string, Membership>>();
  const byCanonical = new Map<string, CompiledProfile | undefined>();
  const byType = new Map<string, CompiledProfile | undefined>();
  const reasons = new Map<string, string>();
  const memo = (cache: Map<string, CompiledProfile | undefined>, key: string, load: () => StructureDefinition | undefined): CompiledProfile | undefined => {
    if (cache.has(key)) return cache.get(key);
    const sd = load();
    let c = compiled(sd);
    if (!c && sd && !sd.snapshot?.element?.length) {
      // A package definition shipped without a snapshot (profiling.html#snapshot): generate it
      // from the differential when its base is available, else say why it cannot be used.
      try {
        c = compiled(generateSnapshot(sd, defs));
      } catch (e) {
        reasons.set(key, `it has no snapshot and one could not be generated: ${(e as Error).message}`);
      }
    }
    cache.set(key, c);
    return c;
  };
  const terminology = createTerminology(defs);
  const engine: WalkEngine = {
    terminology,
    invariants: createInvariantCompiler({ memberOf: (value, vs) => memberOf(value, vs, terminology) }),
    profile: (canonical) => memo(byCanonical, canonical, () => defs.structureDefinition(canonical)),
    typeModel: (code) => memo(byType, code, () => defs.typeDefinition(code)),
    whyUnknown: (canonical) => reasons.get(canonical) ?? 'it is not in the R4 base, the package directory or the project profiles',
    conforms(resource, profile, scope: ReferenceScope) {
      let byProfile = conformsCache.get(resource);
      const hit = byProfile?.get(profile);
      if (hit) return hit;
      if (!engine.profile(profile)) return 'unknown';
      const sink = createIssueSink(Number.MAX_SAFE_INTEGER);
      walkResource(resource, [profile], undefined, { engine, sink, bundle: scope.bundle, depth: 1 });
      const result: Membership = sink.errorCount() === 0 ? 'yes' : 'no';
      if (!byProfile) conformsCache.set(resource, (byProfile = new Map()));
      byProfile.set(profile, result);
      return result;
    },
  };
  return engine;
}
