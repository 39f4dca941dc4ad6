// The I/O edge of the mapping engine: reads mapping folders (`<dir>/<name>/mapping.yaml`
// or `mapping.json`, the partner schema and the ConceptMaps it names) and compiles them.
// Any problem in any file stops loading with every file:line and reason found.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConceptMap } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { issue, outcome } from '../fhir/outcomes.ts';
import { compileMapping, MappingCompileError } from './compile.ts';
import { compileCsv } from './csv.ts';
import { parseSource } from './source.ts';
import type { SourceDoc, SourceProblem } from './source.ts';
import type { CompiledMapping } from './types.ts';

export const MAPPING_FILES = ['mapping.yaml', 'mapping.yml', 'mapping.json'];

/** The folder of the shipped mappings (`mappings/` at the project root). */
export function shippedMappingsDir(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'mappings');
}

export interface MappingFolder {
  name: string;
  dir: string;
  file: string;
}

export async function listMappingFolders(dirs: string[]): Promise<MappingFolder[]> {
  const found: MappingFolder[] = [];
  for (const dir of dirs) {
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    for (const name of names) {
      const file = MAPPING_FILES.map((f) => path.join(dir, name, f)).find((f) => existsSync(f));
      if (file) found.push({ name, dir: path.join(dir, name), file });
    }
  }
  return found;
}

function relative(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

async function readData(file: string, problems: SourceProblem[], from: { file: string; line: number }): Promise<unknown> {
  try {
    const parsed = parseSource(relative(file), await readFile(file, 'utf8'));
    problems.push(...parsed.problems);
    return parsed.doc?.value;
  } catch {
    problems.push({ ...from, reason: `cannot read ${path.basename(file)}` });
    return undefined;
  }
}

/** Reads and compiles every mapping under the given folders; CSV mappings after the ones they feed. */
export async function loadMappings(dirs: string[]): Promise<CompiledMapping[]> {
  const folders = await listMappingFolders(dirs);
  const problems: SourceProblem[] = [];
  const docs: { folder: MappingFolder; doc: SourceDoc }[] = [];
  for (const folder of folders) {
    const parsed = parseSource(relative(folder.file), await readFile(folder.file, 'utf8'));
    problems.push(...parsed.problems);
    if (parsed.doc) docs.push({ folder, doc: parsed.doc });
  }
  const compiled = new Map<string, CompiledMapping>();
  const csvDocs: { folder: MappingFolder; doc: SourceDoc }[] = [];
  for (const { folder, doc } of docs) {
    const top = (doc.value ?? {}) as Record<string, unknown>;
    if (top.format === 'csv') {
      csvDocs.push({ folder, doc });
      continue;
    }
    const at = { file: doc.file, line: doc.lineOf(top) };
    const schemaFile = typeof top.schema === 'string' ? top.schema : undefined;
    if (!schemaFile) {
      problems.push({ ...at, reason: '"schema" (the partner JSON Schema file) is required' });
      continue;
    }
    const schema = await readData(path.resolve(folder.dir, schemaFile), problems, at);
    const conceptMaps: { ref: string; resource: ConceptMap }[] = [];
    for (const ref of Array.isArray(top.conceptMaps) ? (top.conceptMaps as unknown[]) : []) {
      if (typeof ref !== 'string') continue;
      const resource = await readData(path.resolve(folder.dir, ref), problems, at);
      if (resource) conceptMaps.push({ ref, resource: resource as ConceptMap });
    }
    if (typeof schema !== 'object' || schema === null) continue;
    try {
      const mapping = compileMapping({ doc, schema, conceptMaps });
      if (mapping.name !== folder.name) problems.push({ ...at, reason: `"name" must equal the folder name "${folder.name}"` });
      compiled.set(mapping.name, mapping);
    } catch (e) {
      if (e instanceof MappingCompileError) problems.push(...e.problems);
      else throw e;
    }
  }
  for (const { folder, doc } of csvDocs) {
    const top = doc.value as Record<string, unknown>;
    const result = compileCsv(doc, (name) => compiled.get(name));
    problems.push(...result.problems);
    if (!result.csv) continue;
    const first = result.csv.tables[0].mapping;
    compiled.set(folder.name, {
      ...first,
      name: folder.name,
      file: doc.file,
      directions: (Array.isArray(top.directions) ? top.directions : ['to-fhir', 'from-fhir']) as CompiledMapping['directions'],
      csv: result.csv,
    });
  }
  if (problems.length > 0) {
    throw new OperationOutcomeError(
      outcome(
        'server-error',
        problems.map((p) => issue('fatal', 'invalid', `Invalid mapping file ${p.file}:${p.line}: ${p.reason}`)),
      ),
    );
  }
  return [...compiled.values()];
}

export { MappingCompileError };
