// `gateway map <name> --to-fhir|--from-fhir <file>`: runs a mapping on a file and prints the
// result (a FHIR transaction Bundle, partner JSON or CSV); exits 1 with an OperationOutcome.
// `gateway map test [name]`: runs the golden tests of the shipped and any user mappings.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import type { CliIo } from './command-runner.ts';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createConformance } from '../conformance/index.ts';
import { normalize } from '../fhir/errors.ts';
import { badRequest, hasErrors } from '../fhir/outcomes.ts';
import { transactionBundle } from '../mapping/bundle.ts';
import {
  createMappingEngine,
  listMappingFolders,
  loadMappings,
  runGoldenTests,
  shippedMappingsDir,
} from '../mapping/index.ts';
import type { ResourceValidator } from '../mapping/index.ts';

export type { CliIo };

export interface MapDeps {
  /** Output validator; default: the conformance engine when present, else structure checks. */
  validator?: ResourceValidator;
  /** Mapping folders searched before the shipped ones (user mappings). */
  mappingsDirs?: string[];
}

/**
 * Output validation against the target profiles with the conformance engine (FHIR packages
 * from FHIR_PACKAGES_DIR or ~/.fhir/packages, the project's profiles/). Packages that cannot
 * be loaded are reported on stderr; resources then fail with "profile not known".
 */
async function defaultValidator(io: CliIo): Promise<ResourceValidator> {
  const conformance = await createConformance({});
  for (const problem of conformance.loadIssues.filter((i) => i.severity === 'error' || i.severity === 'fatal')) {
    io.stderr(`warning: ${problem.details?.text ?? problem.code}\n`);
  }
  return (resource, profiles) => conformance.validate(resource, { profiles });
}

function printOutcome(io: CliIo, o: OperationOutcome): number {
  io.stdout(`${JSON.stringify(o, null, 2)}\n`);
  return 1;
}

async function mapFile(name: string, file: string, direction: 'to-fhir' | 'from-fhir', opts: { partner?: string; table?: string }, io: CliIo, deps: MapDeps): Promise<number> {
  const dirs = [...(deps.mappingsDirs ?? []), shippedMappingsDir()];
  const mappings = await loadMappings(dirs);
  const engine = createMappingEngine({ mappings, validator: deps.validator ?? (await defaultValidator(io)) });
  const mapping = engine.get(name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return printOutcome(io, badRequest('Cannot read the input file', '$this'));
  }
  let input: unknown = text;
  if (!(mapping?.csv && direction === 'to-fhir')) {
    try {
      input = JSON.parse(text);
    } catch {
      return printOutcome(io, badRequest('Input file is not JSON', '$this'));
    }
  }
  const result = engine.map(name, direction, input, { partner: opts.partner, table: opts.table });
  if (hasErrors(result.outcome)) return printOutcome(io, result.outcome);
  const warnings = (result.outcome.issue ?? []).filter((i) => i.severity === 'warning');
  if (warnings.length > 0) io.stderr(`${JSON.stringify({ ...result.outcome, issue: warnings }, null, 2)}\n`);
  if (direction === 'to-fhir') io.stdout(`${JSON.stringify(transactionBundle(result.resources ?? []), null, 2)}\n`);
  else io.stdout(typeof result.record === 'string' ? result.record : `${JSON.stringify(result.record, null, 2)}\n`);
  return 0;
}

async function mapTest(name: string | undefined, io: CliIo, deps: MapDeps): Promise<number> {
  const dirs = [...(deps.mappingsDirs ?? []), shippedMappingsDir()];
  const mappings = await loadMappings(dirs);
  const engine = createMappingEngine({ mappings, validator: deps.validator ?? (await defaultValidator(io)) });
  const folders = (await listMappingFolders(dirs)).filter((f) => name === undefined || f.name === name);
  if (folders.length === 0) return printOutcome(io, badRequest(`No mapping named "${name}"`, '$this'));
  const results = await runGoldenTests(engine, folders);
  for (const r of results) {
    io.stdout(`${r.ok ? 'ok  ' : 'FAIL'} ${r.mapping} ${r.testCase} ${r.direction}${r.reason ? `: ${r.reason}` : ''}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  io.stdout(`${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

function buildCommand(handler: (name: string, file: string | undefined, opts: Record<string, unknown>) => Promise<void>): Command {
  return new Command('map')
    .description('Run a mapping: map <name> --to-fhir|--from-fhir <file>; or run golden tests: map test [name]')
    .argument('<name>', 'mapping name (folder under mappings/), or "test"')
    .argument('[file]', 'input file (partner JSON/CSV, or a FHIR Bundle); with "test", a mapping name')
    .option('--to-fhir', 'partner format -> FHIR transaction Bundle')
    .option('--from-fhir', 'FHIR Bundle -> partner format')
    .option('--partner <id>', 'partner organisation id, part of derived resource ids', 'default')
    .option('--table <name>', 'CSV mappings, from FHIR: table to write')
    .option('--mappings <dir...>', 'extra mapping folders (user mappings)')
    .action(handler);
}

async function handle(name: string, file: string | undefined, opts: Record<string, unknown>, io: CliIo, deps: MapDeps): Promise<number> {
  const all: MapDeps = { ...deps, mappingsDirs: [...((opts.mappings as string[] | undefined) ?? []), ...(deps.mappingsDirs ?? [])] };
  try {
    if (name === 'test') return await mapTest(file, io, all);
    const toFhir = opts.toFhir === true;
    if (toFhir === (opts.fromFhir === true) || !file) {
      return printOutcome(io, badRequest('Give exactly one of --to-fhir or --from-fhir, and an input file', '$this'));
    }
    return await mapFile(name, file, toFhir ? 'to-fhir' : 'from-fhir', { partner: opts.partner as string, table: opts.table as string | undefined }, io, all);
  } catch (e) {
    // CLI boundary: one catch; invalid mapping files arrive here with file:line issues.
    return printOutcome(io, normalize(e));
  }
}

export async function runMap(argv: string[], io: CliIo, deps: MapDeps = {}): Promise<number> {
  let code = 0;
  const command = buildCommand(async (name, file, opts) => {
    code = await handle(name, file, opts, io, deps);
  });
  command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await command.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

export function mapCommand(): Command {
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  return buildCommand(async (name, file, opts) => {
    process.exitCode = await handle(name, file, opts, io, {});
  });
}
