// `gateway replay [--id <id>...] [--all] [--list]`: puts dead letters back in the outbox
// (RELIABILITY.md, outbox: "moves the item to a dead-letter list with the reason"; an
// operator decides and replays). Prints ids, destinations, attempts and reasons, never
// payload contents. Exit 0 when done, 1 when an id was not found, 2 on usage errors.
import { Command } from 'commander';
import { programCommand, runDefined, type CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { openStore } from '../store/open.ts';
import type { DeadLetter, Store } from '../store/store.ts';
import { replayDeadLetter } from '../sync/dead-letter-replay.ts';

export type { CliIo };

interface ReplayOptions {
  id?: string[];
  all?: boolean;
  list?: boolean;
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
}

const PAGE = 500;

function define(cmd: Command, io: CliIo, result: { code: number }): Command {
  return cmd
    .description('list dead letters or requeue them in the outbox')
    .option('--id <id...>', 'dead letter ids to requeue')
    .option('--all', 'requeue every dead letter')
    .option('--list', 'list dead letters (id, destination, key, attempts, reason)')
    .option('-c, --config <file>', 'configuration file (default: ./gateway.config.yaml when present)')
    .option('--data-dir <dir>', 'SQLite data directory (overrides the configuration)')
    .option('--database-url <url>', 'PostgreSQL URL (overrides DATABASE_URL)')
    .option('--schema <name>', 'PostgreSQL schema (overrides GATEWAY_DB_SCHEMA)')
    .action(async (options: ReplayOptions) => {
      result.code = await replay(options, io);
    });
}

async function replay(options: ReplayOptions, io: CliIo): Promise<number> {
  const modes = [options.list, options.all, options.id !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    io.stderr('gateway replay: give exactly one of --list, --all or --id <id...>\n');
    return 2;
  }
  try {
    const config = loadConfig({ file: options.config });
    const store = await openStore({
      databaseUrl: options.databaseUrl ?? (options.dataDir ? undefined : config.databaseUrl),
      dataDir: options.dataDir ?? config.dataDir,
      schema: options.schema ?? config.databaseSchema,
    });
    try {
      if (options.list) {
        const letters = await allDeadLetters(store);
        for (const d of letters) {
          io.stdout(`${d.id}\t${d.destination}\t${d.orderingKey}\t${d.attempts}\t${d.error}\n`);
        }
        io.stdout(`${letters.length} dead letters\n`);
        return 0;
      }
      const ids = options.all ? (await allDeadLetters(store)).map((d) => d.id) : (options.id ?? []);
      let requeued = 0;
      const unknown: string[] = [];
      for (const id of ids) {
        if (await replayDeadLetter(store, id, { route: 'gateway replay', nowMs: Date.now() })) {
          requeued += 1;
        } else {
          unknown.push(id);
        }
      }
      io.stdout(`requeued ${requeued} dead letters\n`);
      if (unknown.length) {
        io.stderr(`gateway replay: ${unknown.length} ids not found among dead letters\n`);
        return 1;
      }
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    io.stderr(`gateway replay: ${firstText(normalize(error))}\n`);
    return 2;
  }
}

async function allDeadLetters(store: Store): Promise<DeadLetter[]> {
  const result: DeadLetter[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listDeadLetters({ limit: PAGE, offset });
    result.push(...page);
    if (page.length < PAGE) {
      return result;
    }
  }
}

export function runReplay(argv: string[], io: CliIo): Promise<number> {
  return runDefined('replay', define, argv, io);
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function replayCommand(): Command {
  return programCommand('replay', define);
}
