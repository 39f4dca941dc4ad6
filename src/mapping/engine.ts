// The mapping engine's entry point: map(name, direction, input) -> { resources | record, outcome }.
// Built from compiled mappings and an injected validator; holds no mutable state.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasErrors, issue, outcome, validationOutcome } from '../fhir/outcomes.ts';
import { fhirToCsv, csvToFhir } from './csv.ts';
import { fromFhir, toFhir } from './evaluate.ts';
import type { CompiledMapping, Direction, MapResult, ResourceValidator } from './types.ts';

export interface MapOptions {
  /** The partner organisation the data belongs to; part of every derived id. */
  partner?: string;
  /** CSV mappings, from FHIR: which table to write (default: the first). */
  table?: string;
  /** Skip output validation (benchmarks of the mapping itself only). */
  skipValidation?: boolean;
}

export interface MappingEngine {
  names(): string[];
  get(name: string): CompiledMapping | undefined;
  map(name: string, direction: Direction, input: unknown, options?: MapOptions): MapResult;
}

function result(issues: OperationOutcomeIssue[]) {
  return hasErrors(issues) ? outcome('unprocessable', issues) : validationOutcome(issues);
}

export function createMappingEngine(options: { mappings: CompiledMapping[]; validator: ResourceValidator }): MappingEngine {
  const byName = new Map(options.mappings.map((m) => [m.name, m]));
  return {
    names: () => [...byName.keys()].sort(),
    get: (name) => byName.get(name),
    map(name, direction, input, mapOptions = {}) {
      const m = byName.get(name);
      if (!m) return { outcome: outcome('not-found', [issue('error', 'not-found', `No mapping named "${name}"`, '$this')]) };
      if (!m.directions.includes(direction)) {
        return { outcome: outcome('bad-request', [issue('error', 'not-supported', `Mapping "${name}" is one-way: it does not run ${direction}`, '$this')]) };
      }
      const validator = mapOptions.skipValidation ? undefined : options.validator;
      if (m.csv) {
        if (direction === 'to-fhir') {
          if (typeof input !== 'string') return { outcome: outcome('bad-request', [issue('error', 'structure', 'A CSV mapping takes CSV text', '$this')]) };
          const { resources, issues } = csvToFhir(m.csv, input, { partner: mapOptions.partner, validator });
          return { resources, outcome: result(issues) };
        }
        const { text, issues } = fhirToCsv(m.csv, input, mapOptions.table);
        return hasErrors(issues) ? { outcome: result(issues) } : { record: text, outcome: result(issues) };
      }
      if (direction === 'to-fhir') {
        const { resources, issues } = toFhir(m, input, { partner: mapOptions.partner, validator });
        return { resources, outcome: result(issues) };
      }
      const { records, issues } = fromFhir(m, input);
      if (hasErrors(issues)) return { outcome: result(issues) };
      if (records.length !== 1) {
        return { outcome: outcome('unprocessable', [issue('error', 'business-rule', `Input holds ${records.length} ${name} records; map one at a time`, '$this')]) };
      }
      return { record: records[0], outcome: result(issues) };
    },
  };
}
