// Search parameter definitions (FHIR R4 searchparameter.html) from the R4 base and the loaded
// packages, compiled once into FHIRPath evaluators per resource type.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import type { IndexEntry } from '../store/store.ts';

export type ParamKind = IndexEntry['kind'] | 'composite' | 'quantity' | 'special';

export interface SearchParam {
  code: string;
  url?: string;
  kind: ParamKind;
  resourceType: string;
  expression: string;
  /** Allowed target types of a reference parameter. */
  targets: string[];
  /** Reference values restricted to these types (from `.where(resolve() is X)`). */
  onlyTypes?: string[];
  evaluate: (resource: Resource) => unknown[];
}

export class SearchParameters {
  private readonly byType = new Map<string, Map<string, SearchParam>>();

  constructor(definitions: SearchParameter[]) {
    for (const definition of definitions) {
      this.add(definition);
    }
  }

  get(resourceType: string, code: string): SearchParam | undefined {
    return this.byType.get(resourceType)?.get(code);
  }

  forType(resourceType: string): SearchParam[] {
    return [...(this.byType.get(resourceType)?.values() ?? [])];
  }

  private add(definition: SearchParameter): void {
    if (!definition.code || !definition.expression || !definition.type) {
      return;
    }
    for (const resourceType of definition.base ?? []) {
      const expression = expressionFor(definition.expression, resourceType);
      if (!expression) {
        continue;
      }
      const { cleaned, onlyTypes } = stripResolve(expression);
      let compiled: (resource: Resource) => unknown[];
      try {
        const fn = fhirpath.compile(cleaned, r4Model);
        compiled = (resource) => fn(resource) as unknown[];
      } catch {
        continue; // An expression fhirpath.js cannot compile is not indexed, and so not offered.
      }
      const params = this.byType.get(resourceType) ?? new Map<string, SearchParam>();
      params.set(definition.code, {
        code: definition.code,
        url: definition.url,
        kind: definition.type === 'reference' || definition.type === 'token' || definition.type === 'string' || definition.type === 'date' || definition.type === 'number' || definition.type === 'uri' || definition.type === 'quantity' || definition.type === 'composite' ? definition.type : 'special',
        resourceType,
        expression: cleaned,
        targets: definition.target ?? [],
        onlyTypes,
        evaluate: compiled,
      });
      this.byType.set(resourceType, params);
    }
  }
}

/** R4 expressions may cover several types joined by `|`; keep the parts for `resourceType`. */
function expressionFor(expression: string, resourceType: string): string | undefined {
  const parts = splitTopLevel(expression);
  if (parts.length === 1) {
    return expression;
  }
  const mine = parts.filter((p) => {
    const head = p.replace(/^\(+/, '');
    return head.startsWith(`${resourceType}.`) || head === resourceType;
  });
  return mine.length ? mine.join(' | ') : undefined;
}

function splitTopLevel(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/** `X.where(resolve() is Patient)` -> `X`, keeping only references to Patient. */
function stripResolve(expression: string): { cleaned: string; onlyTypes?: string[] } {
  const types: string[] = [];
  const cleaned = expression.replace(/\.where\(resolve\(\) is (\w+)\)/g, (_m, type: string) => {
    types.push(type);
    return '';
  });
  return { cleaned, onlyTypes: types.length ? types : undefined };
}
