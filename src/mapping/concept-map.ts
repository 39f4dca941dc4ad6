// Code tables are FHIR ConceptMap resources (FHIR R4 conceptmap.html). One table serves both
// directions: forward maps a partner code (group.source) to a FHIR Coding (group.target),
// reverse maps a FHIR Coding back to the partner code. Only element/target pairs whose
// equivalence says the meaning is kept (equivalent, equal, wider, subsumes, relatedto) are used.
// `group.unmapped` (R4 conceptmap-definitions.html#ConceptMap.group.unmapped) says what to
// do with a code the table does not list: `fixed` gives a default code, `provided` passes
// the code through; without it an unlisted code is an error.
import type { Coding, ConceptMap } from '@medplum/fhirtypes';

export interface CompiledConceptMap {
  url: string;
  name: string;
  /** Partner code -> FHIR Coding; undefined when unlisted and no fallback applies. */
  forward(code: string): Coding | undefined;
  /** FHIR Coding -> partner code; undefined when unlisted and no fallback applies. */
  reverse(coding: { system?: string; code?: string }): string | undefined;
  /** The partner codes the table lists, for generators and documentation. */
  sourceCodes(): string[];
}

const KEEPS_MEANING = new Set(['equivalent', 'equal', 'wider', 'subsumes', 'relatedto']);

export function compileConceptMap(map: ConceptMap): CompiledConceptMap {
  if (map.resourceType !== 'ConceptMap') throw new Error('not a ConceptMap resource');
  if (!map.url) throw new Error('ConceptMap.url is required');
  const forward = new Map<string, Coding>();
  const reverse = new Map<string, string>();
  let forwardFallback: ((code: string) => Coding | undefined) | undefined;
  let reverseFallback: ((coding: { system?: string; code?: string }) => string | undefined) | undefined;
  for (const group of map.group ?? []) {
    const system = group.target;
    if (!system) throw new Error('ConceptMap.group.target (the FHIR code system) is required');
    for (const element of group.element ?? []) {
      const source = element.code;
      if (!source) throw new Error('ConceptMap.group.element.code is required');
      for (const target of element.target ?? []) {
        if (!target.code || !KEEPS_MEANING.has(target.equivalence ?? 'equivalent')) continue;
        const coding: Coding = { system, code: target.code };
        if (target.display) coding.display = target.display;
        if (!forward.has(source)) forward.set(source, coding);
        const key = `${system}|${target.code}`;
        if (!reverse.has(key)) reverse.set(key, source);
      }
    }
    const unmapped = group.unmapped;
    if (unmapped?.mode === 'fixed' && unmapped.code) {
      const fixed: Coding = { system, code: unmapped.code };
      if (unmapped.display) fixed.display = unmapped.display;
      forwardFallback = () => fixed;
    } else if (unmapped?.mode === 'provided') {
      forwardFallback = (code) => ({ system, code });
      reverseFallback = (coding) => (coding.system === system ? coding.code : undefined);
    }
  }
  return {
    url: map.url,
    name: map.name ?? map.url,
    forward: (code) => forward.get(code) ?? forwardFallback?.(code),
    reverse: (coding) => reverse.get(`${coding.system}|${coding.code}`) ?? reverseFallback?.(coding),
    sourceCodes: () => [...forward.keys()],
  };
}
