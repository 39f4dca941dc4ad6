// The conformance library: load definitions (R4 base, FHIR packages, the project's own
// profiles/) once, then validate resources synchronously against the base, the profiles
// in meta.profile and any profiles asked for. Output is always an OperationOutcome.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, validationOutcome } from '../fhir/outcomes.ts';
import { createDefinitions, entryOf, type Definitions } from './definitions.ts';
import { createEngine } from './engine.ts';
import { createIssueSink, LimitReached } from './issues.ts';
import { loadOwnProfiles } from './own-profiles.ts';
import { defaultPackagesDir, loadPackages } from './packages.ts';
import { r4Base } from './r4-base.ts';
import { parseWithNumberSources } from './source-text.ts';
import { isObject } from './values.ts';
import { walkResource, type WalkContext } from './walk.ts';

export interface ConformanceOptions {
  /** Package-cache folder (`<id>#<version>/package`); FHIR_PACKAGES_DIR or ~/.fhir/packages by default. */
  packagesDir?: string;
  /** The project's own profiles (YAML sources); the repository's `profiles/` by default. */
  profilesDir?: string;
}

export interface ValidateOptions {
  /** Canonical URLs (optionally `|version`) to validate against, besides meta.profile. */
  profiles?: string[];
  /** The raw JSON text the resource came from, to check numbers on their source text. */
  sourceText?: string;
  /** Stop after this many issues (default 1000). */
  maxIssues?: number;
}

export interface Conformance {
  validate(resource: unknown, options?: ValidateOptions): OperationOutcome;
  /** Problems found while loading packages and profiles (missing dependencies, bad files). */
  readonly loadIssues: OperationOutcomeIssue[];
  readonly definitions: Definitions;
}

export const DEFAULT_PROFILES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');

export async function createConformance(options: ConformanceOptions = {}): Promise<Conformance> {
  const base = r4Base();
  const packages = loadPackages(options.packagesDir ?? defaultPackagesDir());
  const fromPackages = packages.packages.flatMap((p) => p.resources);
  const loadIssues = [...packages.issues];
  const own = loadOwnProfiles(options.profilesDir ?? DEFAULT_PROFILES_DIR, createDefinitions(base, fromPackages));
  loadIssues.push(...own.issues);
  const definitions = createDefinitions(base, [...fromPackages, ...own.resources.map(entryOf)]);
  const engine = createEngine(definitions);
  return {
    loadIssues,
    definitions,
    validate(resource, opts = {}) {
      const sink = createIssueSink(opts.maxIssues ?? 1000);
      let input = resource;
      let numberSources: WeakMap<object, Map<string, string>> | undefined;
      if (opts.sourceText !== undefined) {
        try {
          const parsed = parseWithNumberSources(opts.sourceText);
          input = parsed.value;
          numberSources = parsed.sources;
        } catch {
          return validationOutcome([issue('error', 'structure', 'The source text is not valid JSON')]);
        }
      }
      const ctx: WalkContext = { engine, sink, numberSources, bundle: bundleEntries(input), depth: 0 };
      try {
        walkResource(input, opts.profiles ?? [], undefined, ctx);
      } catch (e) {
        if (!(e instanceof LimitReached)) throw e;
        sink.issues.push(issue('information', 'too-costly', `Validation stopped after ${sink.issues.length} issues`));
      }
      return validationOutcome(sink.issues);
    },
  };
}

/** Bundle entries by fullUrl, for resolving references inside a Bundle (bundle.html#references). */
function bundleEntries(resource: unknown): Map<string, Record<string, unknown>> | undefined {
  if (!isObject(resource) || resource.resourceType !== 'Bundle' || !Array.isArray(resource.entry)) return undefined;
  const map = new Map<string, Record<string, unknown>>();
  for (const e of resource.entry) {
    if (isObject(e) && typeof e.fullUrl === 'string' && isObject(e.resource)) map.set(e.fullUrl, e.resource);
  }
  return map;
}
