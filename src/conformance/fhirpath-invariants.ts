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

export interface InvariantOptions {
  /** Local value set membership for FHIRPath memberOf() (fhirpath.html#functions). */
  memberOf?: (value: unknown, valueSet: string) => 'yes' | 'no' | 'unknown';
}

/** fhirpath's memberOf() needs a terminology server; this one answers from local terminology. */
function userFunctions(options: InvariantOptions): Record<string, unknown> | undefined {
  const memberOf = options.memberOf;
  if (!memberOf) return undefined;
  return {
    memberOf: {
      fn: (inputs: unknown[], valueSet: string) => {
        if (inputs.length === 0) return [];
        if (inputs.length > 1) throw new Error('memberOf() on several items');
        const m = memberOf(inputs[0], valueSet);
        if (m === 'unknown') throw new Error('value set not available here');
        return [m === 'yes'];
      },
      arity: { 1: ['String'] },
    },
  };
}

export function createInvariantCompiler(options: InvariantOptions = {}): InvariantCompiler {
  const functions = userFunctions(options);
  const cache = new Map<string, CompiledInvariant>();
  return {
    compile(expression, base) {
      const key = `${base}\u0000${expression}`;
      let fn = cache.get(key);
      if (!fn) {
        fn = build(expression, base, functions);
        cache.set(key, fn);
      }
      return fn;
    },
  };
}

function build(expression: string, base: string, functions: Record<string, unknown> | undefined): CompiledInvariant {
  let general: CompiledInvariant | undefined;
  const fallback = (): CompiledInvariant => (general ??= buildGeneral(expression, base, functions));
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

function buildGeneral(expression: string, base: string, functions: Record<string, unknown> | undefined): CompiledInvariant {
  let evaluate: (node: unknown, vars: Record<string, unknown>) => unknown[];
  try {
    const options = functions ? { userInvocationTable: functions } : undefined;
    evaluate = fhirpath.compile({ base, expression }, r4Model, options as Parameters<typeof fhirpath.compile>[2]) as unknown as typeof evaluate;
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
