// The project's own conformance resources: `profiles/*.yaml`, each one
// StructureDefinition (differential only), CodeSystem or ValueSet in a reviewable form.
// Snapshots are generated here at load time (snapshot.ts), never written by hand.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';
import { parse } from 'yaml';
import { issue } from '../fhir/outcomes.ts';
import type { ConformanceResource } from './bundle-index.ts';
import { createDefinitions, entryOf, type Definitions } from './definitions.ts';
import { generateSnapshot } from './snapshot.ts';

export interface OwnProfiles {
  resources: ConformanceResource[];
  issues: OperationOutcomeIssue[];
}

export function readProfileSources(dir: string): { resources: ConformanceResource[]; issues: OperationOutcomeIssue[] } {
  const issues: OperationOutcomeIssue[] = [];
  const resources: ConformanceResource[] = [];
  if (!existsSync(dir)) return { resources, issues };
  for (const file of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    try {
      const r = parse(readFileSync(path.join(dir, file), 'utf8')) as ConformanceResource;
      if (typeof r?.resourceType !== 'string' || typeof r.url !== 'string') {
        issues.push(issue('warning', 'structure', `profiles/${file} is not a conformance resource with a url; skipped`));
        continue;
      }
      resources.push(r);
    } catch {
      issues.push(issue('warning', 'structure', `profiles/${file} is not valid YAML; skipped`));
    }
  }
  return { resources, issues };
}

/** Reads the sources and generates the snapshots, base definitions first. */
export function loadOwnProfiles(dir: string, available: Definitions): OwnProfiles {
  const { resources, issues } = readProfileSources(dir);
  const done: ConformanceResource[] = resources.filter((r) => r.resourceType !== 'StructureDefinition');
  let pending = resources.filter((r): r is ConformanceResource & StructureDefinition => r.resourceType === 'StructureDefinition');
  const ownUrls = new Set(pending.map((r) => r.url));
  while (pending.length > 0) {
    const defs = createDefinitionsOver(available, done);
    const next: typeof pending = [];
    for (const sd of pending) {
      if (sd.baseDefinition && ownUrls.has(sd.baseDefinition) && !done.some((d) => d.url === sd.baseDefinition)) {
        next.push(sd);
        continue;
      }
      try {
        done.push(generateSnapshot(sd, defs) as unknown as ConformanceResource);
      } catch (e) {
        issues.push(issue('warning', 'not-found', `Profile ${sd.url}: could not generate its snapshot (${(e as Error).message})`));
      }
    }
    if (next.length === pending.length) {
      for (const sd of next) issues.push(issue('warning', 'not-found', `Profile ${sd.url}: its base ${sd.baseDefinition} could not be loaded`));
      break;
    }
    pending = next;
  }
  return { resources: done, issues };
}

/** The available definitions with the project's resources generated so far in front. */
function createDefinitionsOver(available: Definitions, extra: ConformanceResource[]): Definitions {
  const local = createDefinitions({ version: '4.0.1', get: () => undefined }, extra.map(entryOf));
  return {
    structureDefinition: (c) => local.structureDefinition(c) ?? available.structureDefinition(c),
    valueSet: (c) => local.valueSet(c) ?? available.valueSet(c),
    codeSystem: (c) => local.codeSystem(c) ?? available.codeSystem(c),
    typeDefinition: (c) => available.typeDefinition(c),
  };
}
