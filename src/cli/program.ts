// The `gateway` CLI: one catch at this boundary turns any failure into a message and an exit code.
import { Command, CommanderError } from 'commander';
import { firstText, normalize, OperationOutcomeError } from '../fhir/index.ts';
import { errorShape } from '../logging/logger.ts';
import { auditCommand } from './audit-command.ts';
import { mapCommand } from './map-command.ts';
import { partnerCommand } from './partner-command.ts';
import { reportCommand } from './report-command.ts';
import { reconcileCommand } from './reconcile-command.ts';
import { replayCommand } from './replay-command.ts';
import { serveCommand } from './serve-command.ts';
import { syncCommand } from './sync-command.ts';
import { validateCommand } from './validate-command.ts';

export function buildProgram(): Command {
  const program = new Command('gateway')
    .description('Gateway for closed-loop social-care referrals (SDOHCC FHIR R4)')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(serveCommand());
  program.addCommand(validateCommand());
  program.addCommand(mapCommand());
  program.addCommand(partnerCommand());
  program.addCommand(auditCommand());
  program.addCommand(reportCommand());
  program.addCommand(syncCommand());
  program.addCommand(replayCommand());
  program.addCommand(reconcileCommand());
  // Usage errors anywhere exit 2 through main(), not from inside commander.
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const outcome = normalize(error);
    // Unknown errors show their kind and code, never their message (it may hold input data).
    const shape = errorShape(error);
    const detail = error instanceof OperationOutcomeError ? firstText(outcome) : `unexpected failure (${[shape.type, shape.code].filter(Boolean).join(' ')})`;
    process.stderr.write(`gateway: ${detail}\n`);
    process.exitCode = 1;
  }
}
