// Local terminology: value set membership from ValueSet.compose (valueset.html#compose)
// and CodeSystem content (codesystem.html), computed once per value set. Anything that
// needs an external terminology server (SNOMED CT, LOINC, VSAC value sets, filters on
// code systems that are not here) is reported as "unknown", never as a failure.
import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes';
import type { Definitions } from './definitions.ts';

export type Membership = 'yes' | 'no' | 'unknown';

export interface LocalValueSet {
  url: string;
  /** Codes known to be in the set, by system. */
  codes: Map<string, Set<string>>;
  /** Systems in the set whose codes are not all known here. */
  openSystems: Set<string>;
  /** True when part of the set is not known here (an import or a whole system missing). */
  incomplete: boolean;
  /** Why it is incomplete, for "could not check" texts. */
  reason?: string;
}

export interface Terminology {
  valueSet(url: string): LocalValueSet | undefined;
  /** Membership of a code in a value set; system undefined for `code` elements. */
  contains(vs: LocalValueSet, system: string | undefined, code: string): Membership;
  /** Whether a code exists in a complete local code system; unknown when that system is not here. */
  inCodeSystem(system: string, code: string): Membership;
}

function collect(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    if (c.code) into.add(c.code);
    collect(c.concept, into);
  }
}

function findConcept(concepts: CodeSystemConcept[] | undefined, code: string): CodeSystemConcept | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return c;
    const inner = findConcept(c.concept, code);
    if (inner) return inner;
  }
  return undefined;
}

export function createTerminology(defs: Definitions): Terminology {
  const cache = new Map<string, LocalValueSet | undefined>();
  const systems = new Map<string, Set<string> | undefined>();

  /** All codes of a complete local code system, or undefined when not available. */
  const systemCodes = (system: string): Set<string> | undefined => {
    if (systems.has(system)) return systems.get(system);
    const cs = defs.codeSystem(system);
    let codes: Set<string> | undefined;
    if (cs && (cs.content === 'complete' || cs.content === undefined) && (cs.concept?.length ?? 0) > 0) {
      codes = new Set();
      collect(cs.concept, codes);
    }
    systems.set(system, codes);
    return codes;
  };

  const build = (url: string, seen: Set<string>): LocalValueSet | undefined => {
    if (cache.has(url)) return cache.get(url);
    const vs = defs.valueSet(url);
    if (!vs) return undefined;
    const result: LocalValueSet = { url, codes: new Map(), openSystems: new Set(), incomplete: false };
    const add = (system: string, code: string): void => {
      let set = result.codes.get(system);
      if (!set) result.codes.set(system, (set = new Set()));
      set.add(code);
    };
    const markOpen = (system: string | undefined, reason: string): void => {
      if (system) result.openSystems.add(system);
      else result.incomplete = true;
      result.reason ??= reason;
    };
    seen.add(url);
    for (const inc of vs.compose?.include ?? []) includeInto(inc, add, markOpen, result, seen);
    for (const exc of vs.compose?.exclude ?? []) {
      for (const c of exc.concept ?? []) if (exc.system) result.codes.get(exc.system)?.delete(c.code);
    }
    if (!vs.compose && vs.expansion?.contains) {
      const walk = (list: NonNullable<ValueSet['expansion']>['contains']): void => {
        for (const c of list ?? []) {
          if (c.system && c.code) add(c.system, c.code);
          walk(c.contains);
        }
      };
      walk(vs.expansion.contains);
    } else if (!vs.compose) {
      markOpen(undefined, 'the value set has no definition or expansion here');
    }
    cache.set(url, result);
    return result;
  };

  const includeInto = (
    inc: ValueSetComposeInclude,
    add: (system: string, code: string) => void,
    markOpen: (system: string | undefined, reason: string) => void,
    result: LocalValueSet,
    seen: Set<string>,
  ): void => {
    for (const imported of inc.valueSet ?? []) {
      const other = seen.has(imported) ? undefined : build(imported, seen);
      if (!other) {
        markOpen(undefined, `it includes value set ${imported}, which is not available here`);
        continue;
      }
      for (const [system, codes] of other.codes) for (const c of codes) add(system, c);
      for (const s of other.openSystems) markOpen(s, other.reason ?? 'part of it is not available here');
      if (other.incomplete) markOpen(undefined, other.reason ?? 'part of it is not available here');
    }
    if (!inc.system) return;
    const system = inc.system;
    if (inc.concept?.length) {
      for (const c of inc.concept) add(system, c.code);
      return;
    }
    const cs = defs.codeSystem(system);
    if (inc.filter?.length) {
      const filtered = filterCodes(cs, inc.filter);
      if (filtered) for (const c of filtered) add(system, c);
      else markOpen(system, `it filters code system ${system}, which is not available here`);
      return;
    }
    const all = systemCodes(system);
    if (all) for (const c of all) add(system, c);
    else markOpen(system, `it includes code system ${system}, whose content is not available here`);
  };

  return {
    valueSet: (url) => build(url, new Set()),
    contains(vs, system, code) {
      if (system === undefined) {
        for (const codes of vs.codes.values()) if (codes.has(code)) return 'yes';
        return vs.incomplete || vs.openSystems.size > 0 ? 'unknown' : 'no';
      }
      if (vs.codes.get(system)?.has(code)) return 'yes';
      if (vs.incomplete || vs.openSystems.has(system)) return 'unknown';
      return 'no';
    },
    inCodeSystem(system, code) {
      const codes = systemCodes(system);
      if (!codes) return 'unknown';
      return codes.has(code) ? 'yes' : 'no';
    },
  };
}

/** `is-a` / `descendent-of` / `=` filters over a local code system's hierarchy. */
function filterCodes(cs: CodeSystem | undefined, filters: NonNullable<ValueSetComposeInclude['filter']>): Set<string> | undefined {
  if (!cs?.concept?.length || cs.content === 'not-present' || cs.content === 'fragment') return undefined;
  let result: Set<string> | undefined;
  for (const f of filters) {
    const codes = new Set<string>();
    if (f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of')) {
      const root = findConcept(cs.concept, f.value);
      if (!root) return undefined;
      if (f.op === 'is-a') codes.add(root.code!);
      collect(root.concept, codes);
    } else if (f.property === 'concept' && f.op === '=') {
      codes.add(f.value);
    } else {
      return undefined;
    }
    result = result ? new Set([...result].filter((c) => codes.has(c))) : codes;
  }
  return result;
}
