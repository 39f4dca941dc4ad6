// FHIRPath invariants from the snapshots (FHIR R4 conformance-rules.html#constraints),
// evaluated with the `fhirpath` package and its R4 model. Each (expression, base path)
// is compiled once and reused. An expression the engine cannot evaluate is reported as
// not checked, never as a failure.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';

export type InvariantResult = 'pass' | 'fail' | { error: string };

export type CompiledInvariant = (node: unknown, resource: unknown, rootResource: unknown) => InvariantResult;

export interface InvariantCompiler {
  compile(expression: string, base: string): CompiledInvariant;
}

export function createInvariantCompiler(): InvariantCompiler {
  const cache = new Map<string, CompiledInvariant>();
  return {
    compile(expression, base) {
      const key = `${base}\u0000${expression}`;
      let fn = cache.get(key);
      if (!fn) {
        fn = build(expression, base);
        cache.set(key, fn);
      }
      return fn;
    },
  };
}

function build(expression: string, base: string): CompiledInvariant {
  let evaluate: (node: unknown, vars: Record<string, unknown>) => unknown[];
  try {
    evaluate = fhirpath.compile({ base, expression }, r4Model) as unknown as typeof evaluate;
  } catch {
    return () => ({ error: 'the FHIRPath engine cannot parse it' });
  }
  return (node, resource, rootResource) => {
    try {
      const result = evaluate(node, { resource, rootResource });
      // An empty result is not a failure: the invariant does not apply (FHIRPath
      // fhirpath.html#boolean-evaluation-of-collections).
      if (result.length === 0) return 'pass';
      return result.length === 1 && result[0] === false ? 'fail' : 'pass';
    } catch {
      return { error: 'the FHIRPath engine could not evaluate it' };
    }
  };
}
