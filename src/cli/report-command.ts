// `gateway report --period <start/end> [--organization <id>] [--format table|csv|json]`: the
// referral outcome report (issue 9, "Reports") of the platform tenant, read from the store the
// configuration names (or --data-dir / --database-url). Exit 0 with the report on stdout,
// 1 when the store fails, 2 on usage errors (every problem of the options listed).
// `--rebuild-projection` first rebuilds the store's report projection from the resource
// histories (needed once for data written before the projection existed); without
// `--period` it only rebuilds.
import { Command, CommanderError, Option } from 'commander';
import type { CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { OperationOutcomeError, firstText, normalize, statusOf } from '../fhir/index.ts';
import { runReferralReport } from '../reports/referral-report.ts';
import { parseReportRequest } from '../reports/report-request.ts';
import { reportCsv, reportTable } from '../reports/report-rows.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { performance } from 'node:perf_hooks';

export type { CliIo };

const FORMATS = ['table', 'csv', 'json'] as const;
type CliFormat = (typeof FORMATS)[number];

interface ReportOptions {
  period?: string;
  organization?: string;
  format?: string;
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
  rebuildProjection?: boolean;
}

function define(cmd: Command): Command {
  return cmd
    .description('Referral outcome report for a period: funnel, timeliness, client-defined goals, data quality')
    .option('--period <start/end>', 'the period, e.g. 2026-01-01/2026-03-31 (dates cover whole days)')
    .option('--organization <id>', 'only this organisation (Organization/id or id)')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]))
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'SQLite data directory')
    .option('--database-url <url>', 'PostgreSQL URL')
    .option('--schema <name>', 'PostgreSQL schema')
    .option('--rebuild-projection', 'rebuild the report projection from the resource histories first');
}

async function report(o: ReportOptions, io: CliIo): Promise<number> {
  if (o.rebuildProjection && o.period === undefined) return rebuildOnly(o, io);
  const params: Record<string, unknown> = {};
  if (o.period !== undefined) params.period = o.period;
  if (o.organization !== undefined) params.organization = o.organization;
  if (o.format !== undefined) params.format = o.format;
  let request;
  try {
    request = parseReportRequest<CliFormat>(params, FORMATS);
  } catch (error) {
    const outcome = normalize(error);
    for (const i of outcome.issue ?? []) io.stderr(`gateway report: --${i.expression?.[0] ?? 'options'}: ${i.details?.text ?? i.code}\n`);
    return 2;
  }
  try {
    const config = loadConfig({ file: o.config });
    const store = await openStore({
      databaseUrl: o.databaseUrl ?? (o.dataDir ? undefined : config.databaseUrl),
      dataDir: o.dataDir ?? config.dataDir,
      schema: o.schema ?? config.databaseSchema,
    });
    try {
      if (o.rebuildProjection) await rebuild(store, io);
      const run = await runReferralReport(store, { period: request.period, ...(request.organization ? { organization: request.organization } : {}) });
      const body = run.report;
      if (request.format === 'json') io.stdout(`${JSON.stringify(request.organization ? { organization: request.organization, ...body } : body, null, 2)}\n`);
      else if (request.format === 'csv') io.stdout(reportCsv(body));
      else io.stdout(reportTable(body));
      io.stderr(`gateway report: ${run.referrals} referrals read in ${run.readMs.toFixed(0)} ms, computed in ${run.computeMs.toFixed(0)} ms\n`);
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    const outcome = normalize(error);
    io.stderr(`gateway report: ${error instanceof OperationOutcomeError ? firstText(outcome) : 'the report failed (see the store configuration)'}\n`);
    return statusOf(outcome) < 500 && error instanceof OperationOutcomeError ? 2 : 1;
  }
}

function openConfigured(o: ReportOptions) {
  const config = loadConfig({ file: o.config });
  return openStore({
    databaseUrl: o.databaseUrl ?? (o.dataDir ? undefined : config.databaseUrl),
    dataDir: o.dataDir ?? config.dataDir,
    schema: o.schema ?? config.databaseSchema,
  });
}

async function rebuild(store: Store, io: CliIo): Promise<void> {
  const t0 = performance.now();
  const { versions } = await store.rebuildReportProjection();
  io.stderr(`gateway report: projection rebuilt from ${versions} resource versions in ${(performance.now() - t0).toFixed(0)} ms\n`);
}

async function rebuildOnly(o: ReportOptions, io: CliIo): Promise<number> {
  try {
    const store = await openConfigured(o);
    try {
      await rebuild(store, io);
      return 0;
    } finally {
      await store.close();
    }
  } catch {
    io.stderr('gateway report: the projection rebuild failed (see the store configuration)\n');
    return 1;
  }
}

/** Runs `report` with its arguments (after the command name); returns the exit code. */
export async function runReport(argv: string[], io: CliIo): Promise<number> {
  let result: Promise<number> | undefined;
  const cmd = define(new Command('report'))
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action((o: ReportOptions) => {
      result = report(o, io);
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
export function reportCommand(): Command {
  return define(new Command('report')).action(async (o: ReportOptions) => {
    process.exitCode = await report(o, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  });
}
