// `gateway sync --once [--config <file>] [--ehr <name>]`: one poll-and-drain cycle for every
// configured EHR (or one), printed as figures; exit 0 when it completed, 1 when it failed,
// 2 on usage errors. The HTTP server starts on a loopback port for the cycle only (the
// coordinator's writes need the gateway's base URL: set publicBaseUrl in production).
import { Command } from 'commander';
import { programCommand, runDefined, type CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { createLogger } from '../logging/logger.ts';
import { startGateway } from '../main.ts';
import { createSyncEngine, outboxOptions, type CycleReport } from '../sync/sync-engine.ts';

export type { CliIo };

interface SyncOptions {
  once?: boolean;
  config?: string;
  ehr?: string;
}

function define(cmd: Command, io: CliIo, result: { code: number }): Command {
  return cmd
    .description('synchronise with the configured EHRs: poll for referral Tasks, then push queued changes')
    .option('--once', 'run one poll-and-drain cycle and exit (the schedules run inside `gateway serve`)')
    .option('-c, --config <file>', 'configuration file (default: ./gateway.config.yaml when present)')
    .option('--ehr <name>', 'only this EHR connection')
    .action(async (options: SyncOptions) => {
      result.code = await syncOnce(options, io);
    });
}

async function syncOnce(options: SyncOptions, io: CliIo): Promise<number> {
  if (!options.once) {
    io.stderr('gateway sync: only --once is supported here; `gateway serve` runs the schedules\n');
    return 2;
  }
  try {
    const config = loadConfig({ file: options.config });
    const ehrs = config.ehrs.filter((e) => options.ehr === undefined || e.name === options.ehr);
    if (ehrs.length === 0) {
      io.stderr(options.ehr ? `gateway sync: no EHR named ${options.ehr} is configured\n` : 'gateway sync: no EHR is configured\n');
      return 2;
    }
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
    const gateway = await startGateway({ ...config, port: 0, host: '127.0.0.1', demo: 'off' }, logger, { schedules: false });
    try {
      const engine = createSyncEngine({ store: gateway.store, rest: gateway.rest, settings: gateway.settings, ehrs, ...outboxOptions(config.outbox) });
      const report = await engine.runOnce();
      io.stdout(formatReport(report));
      return 0;
    } finally {
      await gateway.close();
    }
  } catch (error) {
    io.stderr(`gateway sync: ${firstText(normalize(error))}\n`);
    return 1;
  }
}

export function formatReport(report: CycleReport): string {
  const lines = report.ehrs.map(
    ({ ehr, poll }) =>
      `EHR ${ehr}: ${poll.pages} pages, ${poll.seen} Tasks seen, ${poll.applied} taken in, ${poll.unchanged} unchanged, ${poll.duplicates} already seen, ${poll.refused} refused, ${poll.unmatched} requested by a routed organisation but not through the gateway, ${poll.cursorsMoved} cursor moves`,
  );
  const o = report.outbox;
  lines.push(`outbox: ${o.claimed} claimed, ${o.delivered} delivered, ${o.retried} to retry, ${o.parked} parked, ${o.buried} dead letters`);
  return `${lines.join('\n')}\n`;
}

export function runSync(argv: string[], io: CliIo): Promise<number> {
  return runDefined('sync', define, argv, io);
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function syncCommand(): Command {
  return programCommand('sync', define);
}
