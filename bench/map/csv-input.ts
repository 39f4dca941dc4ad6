// Builds CSV benchmark inputs by writing FHIR Bundles out through the CSV mapping itself.
import type { MappingEngine } from '../../src/mapping/index.ts';

export function csvOf(engine: MappingEngine, bundle: unknown, table: string): string {
  const result = engine.map('referral-csv', 'from-fhir', bundle, { table });
  if (typeof result.record !== 'string') throw new Error(`cannot build CSV input: ${JSON.stringify(result.outcome)}`);
  return result.record;
}
