// Terminology bindings (FHIR R4 terminologies.html#strength): required = error,
// extensible = warning, preferred and example are not checked. Codes from code systems
// that are complete here are also checked for existence (codesystem.html#content).
import type { Binding } from './compile.ts';
import type { IssueSink } from './issues.ts';
import type { Membership, Terminology } from './terminology.ts';
import { isObject } from './values.ts';

interface Coded {
  system?: string;
  code?: string;
  path: string;
}

function codingsOf(value: unknown, type: string, path: string): Coded[] | undefined {
  if (type === 'code') return typeof value === 'string' ? [{ code: value, path }] : [];
  if (type === 'Coding' || type === 'Quantity') {
    if (!isObject(value)) return [];
    return [{ system: value.system as string | undefined, code: value.code as string | undefined, path }];
  }
  if (type === 'CodeableConcept') {
    if (!isObject(value) || !Array.isArray(value.coding)) return [];
    return value.coding.filter(isObject).map((c, i) => ({ system: c.system as string | undefined, code: c.code as string | undefined, path: `${path}.coding[${i}]` }));
  }
  return undefined;
}

/** Checks codes of Coding/CodeableConcept values against complete local code systems. */
export function checkCodeSystems(value: unknown, type: string, path: string, terminology: Terminology, sink: IssueSink): void {
  for (const c of codingsOf(value, type, path) ?? []) {
    if (!c.system || !c.code || type === 'code' || type === 'Quantity') continue;
    if (terminology.inCodeSystem(c.system, c.code) === 'no') {
      // The code itself is not repeated: issue texts never quote input values.
      sink.add('error', 'code-invalid', `The code is not defined in code system ${c.system}`, `${c.path}.code`);
    }
  }
}

export function checkBinding(value: unknown, type: string, binding: Binding, path: string, terminology: Terminology, sink: IssueSink): void {
  if ((binding.strength !== 'required' && binding.strength !== 'extensible') || !binding.valueSet) return;
  const codings = codingsOf(value, type, path);
  if (!codings) return;
  const severity = binding.strength === 'required' ? 'error' : 'warning';
  const vs = terminology.valueSet(binding.valueSet);
  const withCode = codings.filter((c) => c.code !== undefined);
  if (withCode.length === 0) {
    if (binding.strength === 'required' && type === 'CodeableConcept') {
      sink.add('error', 'code-invalid', `No code given, and a code from value set ${binding.valueSet} is required`, path);
    }
    return;
  }
  if (!vs) {
    sink.add('warning', 'not-found', `Could not check the code against value set ${binding.valueSet} because that value set is not available here`, path);
    return;
  }
  let unknown = false;
  for (const c of withCode) {
    const m = terminology.contains(vs, c.system, c.code!);
    if (m === 'yes') return;
    if (m === 'unknown') unknown = true;
  }
  if (unknown) {
    sink.add('information', 'informational', `Could not check the code against value set ${binding.valueSet} because ${vs.reason ?? 'part of it is not available here'}`, path);
    return;
  }
  const what = withCode.length > 1 ? 'None of the codes is' : 'The code is';
  sink.add(severity, 'code-invalid', `${what} in the ${binding.strength} value set ${binding.valueSet}`, type === 'code' ? path : withCode[0].path);
}

/** Membership of a code, Coding or CodeableConcept in a value set (for slicing by binding). */
export function memberOf(value: unknown, valueSet: string, terminology: Terminology): Membership {
  const vs = terminology.valueSet(valueSet);
  if (!vs) return 'unknown';
  const type = typeof value === 'string' ? 'code' : isObject(value) && Array.isArray(value.coding) ? 'CodeableConcept' : 'Coding';
  let result: Membership = 'no';
  for (const c of codingsOf(value, type, '') ?? []) {
    if (!c.code) continue;
    const m = terminology.contains(vs, c.system, c.code);
    if (m === 'yes') return 'yes';
    if (m === 'unknown') result = 'unknown';
  }
  return result;
}
