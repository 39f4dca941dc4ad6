// FHIRPath invariants from the snapshots (FHIR R4 conformance-rules.html#constraints),
// evaluated with the `fhirpath` package and its R4 model. Each (expression, base path)
// is compiled once and reused; the common subset runs natively (fhirpath-lite.ts). An expression the engine cannot evaluate is reported as
// not checked, never as a failure.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { compileLite, Unsupported } from './fhirpath-lite.ts';

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
  let general: CompiledInvariant | undefined;
  const fallback = (): CompiledInvariant => (general ??= buildGeneral(expression, base));
  let lite: ((node: unknown, env: { resource: unknown; rootResource: unknown }) => unknown[]) | undefined;
  try {
    lite = compileLite(expression);
  } catch {
    return fallback();
  }
  return (node, resource, rootResource) => {
    try {
      return verdict(lite(node, { resource, rootResource }));
    } catch (e) {
      if (e instanceof Unsupported) return fallback()(node, resource, rootResource);
      throw e;
    }
  };
}

// An empty result is not a failure: the invariant does not apply (FHIRPath N1
// "Boolean evaluation of collections"); only a single false fails.
function verdict(result: unknown[]): InvariantResult {
  return result.length === 1 && result[0] === false ? 'fail' : 'pass';
}

function buildGeneral(expression: string, base: string): CompiledInvariant {
  let evaluate: (node: unknown, vars: Record<string, unknown>) => unknown[];
  try {
    evaluate = fhirpath.compile({ base, expression }, r4Model) as unknown as typeof evaluate;
  } catch {
    return () => ({ error: 'the FHIRPath engine cannot parse it' });
  }
  return (node, resource, rootResource) => {
    try {
      return verdict(evaluate(node, { resource, rootResource }));
    } catch {
      return { error: 'the FHIRPath engine could not evaluate it' };
    }
  };
}
