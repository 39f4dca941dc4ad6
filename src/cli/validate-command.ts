// `gateway validate <file|dir>... [--profile <canonical>] [--packages <dir>] [--format text|json]`
// Validates FHIR JSON files (directories are searched for *.json) against the R4 base, the
// profiles in meta.profile, the project's profiles/ and any --profile. Exit 0 when no input
// has errors, 1 when any has, 2 on usage errors. `--format json` prints one line per input:
// {"file": "...", "outcome": {OperationOutcome}}.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { CliIo } from './command-runner.ts';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createConformance, type Conformance } from '../conformance/index.ts';
import { hasErrors, issue, validationOutcome } from '../fhir/outcomes.ts';

export type { CliIo };

interface ValidateOptions {
  profile: string[];
  packages?: string;
  profilesDir?: string;
  format: 'text' | 'json';
}

function define(cmd: Command): Command {
  return cmd
    .description('Validate FHIR JSON files against the R4 base, FHIR packages and the project profiles')
    .argument('<paths...>', 'files or directories (searched for *.json)')
    .option('--profile <canonical>', 'a profile to validate against (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--packages <dir>', 'FHIR package-cache directory (default FHIR_PACKAGES_DIR or ~/.fhir/packages)')
    .option('--profiles-dir <dir>', "the project's own profiles (default profiles/)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
}

/** Files to validate, in a stable order; directories are walked for *.json. */
function collect(inputs: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (p: string): void => {
    for (const name of readdirSync(p).sort()) {
      const full = path.join(p, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json')) files.push(full);
    }
  };
  for (const input of inputs) {
    try {
      if (statSync(input).isDirectory()) walk(input);
      else files.push(input);
    } catch {
      missing.push(input);
    }
  }
  return { files, missing };
}

async function validateFile(conformance: Conformance, file: string, profiles: string[]): Promise<OperationOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return validationOutcome([issue('error', 'exception', 'The file cannot be read')]);
  }
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch {
    return validationOutcome([issue('error', 'structure', 'The file is not valid JSON')]);
  }
  return conformance.validate(resource, { profiles, sourceText: text });
}

function formatText(file: string, o: OperationOutcome): string {
  const issues = (o.issue ?? []).filter((i) => !(i.severity === 'information' && i.details?.text === 'No issues found'));
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length;
  const warnings = issues.filter((i) => i.severity === 'warning').length;
  const head = `${file}: ${errors === 0 ? 'OK' : 'FAILED'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`;
  const lines = issues.map((i) => `  ${(i.severity ?? '').padEnd(11)} ${i.expression?.[0] ?? '-'}: ${i.details?.text ?? i.code}`);
  return [head, ...lines].join('\n');
}

async function validateFiles(inputs: string[], opts: ValidateOptions, io: CliIo): Promise<number> {
  const { files, missing } = collect(inputs);
  if (missing.length > 0) {
    io.stderr(`gateway validate: not found: ${missing.join(', ')}\n`);
    return 2;
  }
  if (files.length === 0) {
    io.stderr('gateway validate: no .json files to validate\n');
    return 2;
  }
  const conformance = await createConformance({ packagesDir: opts.packages, profilesDir: opts.profilesDir });
  for (const i of conformance.loadIssues) io.stderr(`note: ${i.details?.text}\n`);
  const unknown = opts.profile.filter((p) => !conformance.definitions.structureDefinition(p));
  if (unknown.length > 0) {
    io.stderr(`gateway validate: unknown profile: ${unknown.join(', ')}\n`);
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const outcome = await validateFile(conformance, file, opts.profile);
    if (hasErrors(outcome)) failed = true;
    io.stdout(`${opts.format === 'json' ? JSON.stringify({ file, outcome }) : formatText(file, outcome)}\n`);
  }
  return failed ? 1 : 0;
}

/** Runs `validate` with its arguments (after the command name); returns the exit code. */
export async function runValidate(argv: string[], io: CliIo): Promise<number> {
  let result: Promise<number> | undefined;
  const cmd = define(new Command('validate'))
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action((paths: string[], opts: ValidateOptions) => {
      result = validateFiles(paths, opts, io);
    });
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return result ? await result : 2;
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function validateCommand(): Command {
  return define(new Command('validate')).action(async (paths: string[], opts: ValidateOptions) => {
    process.exitCode = await validateFiles(paths, opts, {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
    });
  });
}
