// `gateway audit verify [--config <file>] [--data-dir <dir>] [--database-url <url>] [--schema <name>]`
// Walks the audit trail's hash chain (issue 8, Audit) and reports whether every record is
// intact. Exit 0 when intact, 1 when a record was changed, removed or reordered, 2 on usage
// errors. Prints the number of records checked and the first broken seq, never event contents.
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { verifyAuditChain } from '../security/audit-trail.ts';
import { openStore } from '../store/open.ts';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

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

export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  const result = { code: 0 };
  const cmd = define(new Command('audit'), io, result)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const sub of cmd.commands) {
    sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  }
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return result.code;
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function auditCommand(): Command {
  const result = { code: 0 };
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  const cmd = define(new Command('audit'), io, result);
  cmd.hook('postAction', () => {
    process.exitCode = result.code;
  });
  return cmd;
}
