// Golden tests of a mapping folder: `tests/<case>.partner.json` (or `.partner.csv`) beside
// `tests/<case>.fhir.json` (a transaction Bundle). For every case the partner input must map
// to exactly the expected Bundle, and, where the mapping is two-way, the Bundle must map back
// to exactly the partner input. Outputs pass the engine's validator on the way.
import { readdir, readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { firstText, hasErrors, isError } from '../fhir/outcomes.ts';
import { transactionBundle } from './bundle.ts';
import type { MappingEngine } from './engine.ts';
import type { MappingFolder } from './load.ts';

export interface GoldenResult {
  mapping: string;
  testCase: string;
  direction: 'to-fhir' | 'from-fhir';
  ok: boolean;
  /** Why it failed: outcome text or the first differing location (no data values). */
  reason?: string;
}

/** Names the first place two JSON values differ, e.g. `entry[2].resource.status`. */
export /** The first error's text (warnings come first in outcomes but do not fail a case). */
function firstError(o: import('@medplum/fhirtypes').OperationOutcome): string {
  const e = (o.issue ?? []).find(isError);
  return e ? `${e.details?.text ?? e.code}${e.expression ? ` @ ${e.expression.join(', ')}` : ''}` : firstText(o);
}

export function firstDifference(actual: unknown, expected: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(actual, expected)) return undefined;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) return at || '$this';
  if (Array.isArray(actual) !== Array.isArray(expected)) return at || '$this';
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const key of keys) {
    const step = Array.isArray(actual) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
    const diff = firstDifference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], step);
    if (diff) return diff;
  }
  return at || '$this';
}

export async function runGoldenTests(engine: MappingEngine, folders: MappingFolder[]): Promise<GoldenResult[]> {
  const results: GoldenResult[] = [];
  for (const folder of folders) {
    const mapping = engine.get(folder.name);
    if (!mapping) continue;
    const testsDir = path.join(folder.dir, 'tests');
    let files: string[];
    try {
      files = (await readdir(testsDir)).sort();
    } catch {
      results.push({ mapping: folder.name, testCase: '(none)', direction: 'to-fhir', ok: false, reason: 'no tests/ folder' });
      continue;
    }
    const cases = files.filter((f) => f.endsWith('.fhir.json')).map((f) => f.slice(0, -'.fhir.json'.length));
    if (cases.length === 0) results.push({ mapping: folder.name, testCase: '(none)', direction: 'to-fhir', ok: false, reason: 'no golden cases' });
    for (const testCase of cases) {
      const partnerFile = files.find((f) => f === `${testCase}.partner.json` || f === `${testCase}.partner.csv`);
      if (!partnerFile) {
        results.push({ mapping: folder.name, testCase, direction: 'to-fhir', ok: false, reason: 'no partner file' });
        continue;
      }
      const partnerText = await readFile(path.join(testsDir, partnerFile), 'utf8');
      const partner: unknown = partnerFile.endsWith('.csv') ? partnerText : JSON.parse(partnerText);
      const expected = JSON.parse(await readFile(path.join(testsDir, `${testCase}.fhir.json`), 'utf8')) as Bundle;

      const forward = engine.map(folder.name, 'to-fhir', partner);
      if (hasErrors(forward.outcome)) {
        results.push({ mapping: folder.name, testCase, direction: 'to-fhir', ok: false, reason: firstError(forward.outcome) });
      } else {
        const diff = firstDifference(transactionBundle(forward.resources ?? []), expected);
        results.push({ mapping: folder.name, testCase, direction: 'to-fhir', ok: !diff, reason: diff && `differs at ${diff}` });
      }
      if (!mapping.directions.includes('from-fhir')) continue;
      const back = engine.map(folder.name, 'from-fhir', expected);
      if (hasErrors(back.outcome)) {
        results.push({ mapping: folder.name, testCase, direction: 'from-fhir', ok: false, reason: firstError(back.outcome) });
      } else {
        const diff = firstDifference(back.record, partner);
        results.push({ mapping: folder.name, testCase, direction: 'from-fhir', ok: !diff, reason: diff && `differs at ${diff}` });
      }
    }
  }
  return results;
}
