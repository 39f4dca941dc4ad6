// Timing helpers for the FHIR API benchmark: fixed-duration throughput with N concurrent
// clients, percentiles, and the list of targets one run measures.
import type { StoreKind } from '../../test/support/gateway.ts';

export interface Target {
  name: string;
  /** FHIR base URL ending in `/`. */
  base: string;
}

/** Runs `once` from `clients` loops for `seconds`; returns completed operations per second. */
export async function runFor(seconds: number, clients: number, once: () => Promise<void>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await once();
        done++;
      }
    }),
  );
  return done / ((performance.now() - began) / 1000);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function bootTargets<R>(withPostgres: boolean, gateway: (kind: StoreKind) => Promise<R>, referenceEhr: () => Promise<R>): [string, () => Promise<R>][] {
  const targets: [string, () => Promise<R>][] = [['gateway on SQLite', () => gateway('sqlite')]];
  if (withPostgres) targets.push(['gateway on PostgreSQL', () => gateway('postgres')]);
  targets.push(['reference EHR', referenceEhr]);
  return targets;
}
