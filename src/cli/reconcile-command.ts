// `gateway reconcile [--config <file>] [--ehr <name>] [--no-repair]`: compares the open
// referrals taken in from each configured EHR (or one) with the EHR's Tasks, prints the drift
// and repairs what is safe (queues pushes, takes newer EHR versions in), then drains the outbox
// so that queued pushes reach the EHR. Exit 0 when it completed (drift or not), 1 when it
// failed, 2 on usage errors. Output names platform and EHR Task ids and statuses, nothing else.
import { Command } from 'commander';
import { programCommand, runDefined, type CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { createLogger } from '../logging/logger.ts';
import { startGateway } from '../main.ts';
import { formatReconcileReport } from '../sync/reconcile-job.ts';
import { createSyncEngine, outboxOptions } from '../sync/sync-engine.ts';

export type { CliIo };

interface ReconcileOptions {
  config?: string;
  ehr?: string;
  repair: boolean;
}

function define(cmd: Command, io: CliIo, result: { code: number }): Command {
  return cmd
    .description('compare open referrals with the EHRs they came from; report drift and repair what is safe')
    .option('-c, --config <file>', 'configuration file (default: ./gateway.config.yaml when present)')
    .option('--ehr <name>', 'only this EHR connection')
    .option('--no-repair', 'report only: queue nothing, take nothing in')
    .action(async (options: ReconcileOptions) => {
      result.code = await reconcile(options, io);
    });
}

async function reconcile(options: ReconcileOptions, io: CliIo): Promise<number> {
  try {
    const config = loadConfig({ file: options.config });
    const ehrs = config.ehrs.filter((e) => options.ehr === undefined || e.name === options.ehr);
    if (ehrs.length === 0) {
      io.stderr(options.ehr ? `gateway reconcile: no EHR named ${options.ehr} is configured\n` : 'gateway reconcile: no EHR is configured\n');
      return 2;
    }
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
    const gateway = await startGateway({ ...config, port: 0, host: '127.0.0.1', demo: 'off' }, logger, { schedules: false });
    try {
      const engine = createSyncEngine({ store: gateway.store, rest: gateway.rest, settings: gateway.settings, ehrs, ...outboxOptions(config.outbox) });
      for (const ehr of ehrs) {
        const report = await engine.reconcilers.get(ehr.name)?.run({ repair: options.repair });
        if (report) {
          io.stdout(formatReconcileReport(report, options.repair));
        }
      }
      if (options.repair) {
        const o = await engine.worker.drain();
        io.stdout(`outbox: ${o.claimed} claimed, ${o.delivered} delivered, ${o.retried} to retry, ${o.parked} parked, ${o.buried} dead letters\n`);
      }
      return 0;
    } finally {
      await gateway.close();
    }
  } catch (error) {
    io.stderr(`gateway reconcile: ${firstText(normalize(error))}\n`);
    return 1;
  }
}

export function runReconcile(argv: string[], io: CliIo): Promise<number> {
  return runDefined('reconcile', define, argv, io);
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function reconcileCommand(): Command {
  return programCommand('reconcile', define);
}
