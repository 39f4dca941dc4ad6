// `gateway audit verify [--config <file>] [--data-dir <dir>] [--database-url <url>] [--schema <name>]`
// Walks the audit trail's hash chain (issue 8, Audit) and reports whether every record is
// intact. Exit 0 when intact, 1 when a record was changed, removed or reordered, 2 on usage
// errors. Prints the number of records checked and the first broken seq, never event contents.
import { Command } from 'commander';
import { programCommand, runDefined, type CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { verifyAuditChain } from '../security/audit-trail.ts';
import { openStore } from '../store/open.ts';

export type { CliIo };

interface VerifyOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
}

function define(cmd: Command, io: CliIo, result: { code: number }): Command {
  cmd.description('Audit trail commands');
  cmd
    .command('verify')
    .description('check the hash chain of the audit trail; exit 1 if any record was tampered with')
    .option('-c, --config <file>', 'configuration file (default: ./gateway.config.yaml when present)')
    .option('--data-dir <dir>', 'SQLite data directory (overrides the configuration)')
    .option('--database-url <url>', 'PostgreSQL URL (overrides DATABASE_URL)')
    .option('--schema <name>', 'PostgreSQL schema (overrides GATEWAY_DB_SCHEMA)')
    .action(async (options: VerifyOptions) => {
      result.code = await verify(options, io);
    });
  return cmd;
}

async function verify(options: VerifyOptions, io: CliIo): Promise<number> {
  try {
    const config = loadConfig({ file: options.config });
    const store = await openStore({
      databaseUrl: options.databaseUrl ?? (options.dataDir ? undefined : config.databaseUrl),
      dataDir: options.dataDir ?? config.dataDir,
      schema: options.schema ?? config.databaseSchema,
    });
    try {
      const result = await verifyAuditChain(store);
      if (result.brokenAt !== undefined) {
        io.stdout(`audit chain BROKEN: record ${result.brokenAt} was changed (${result.records} records before it are intact)\n`);
        return 1;
      }
      if (result.gapAt !== undefined) {
        io.stdout(`audit chain BROKEN: record ${result.gapAt} is missing (${result.records} records before it are intact)\n`);
        return 1;
      }
      io.stdout(`audit chain intact: ${result.records} records\n`);
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    io.stderr(`gateway audit verify: ${firstText(normalize(error))}\n`);
    return 2;
  }
}

export function runAudit(argv: string[], io: CliIo): Promise<number> {
  return runDefined('audit', define, argv, io);
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function auditCommand(): Command {
  return programCommand('audit', define);
}
