// The two faces of each CLI command: `run<Name>(argv, io)`, testable without a process, and
// the commander command of the `gateway` program, which sets process.exitCode.
import { Command, CommanderError } from 'commander';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Adds a command's options and actions; actions record their exit code in `result`. */
export type DefineCommand = (cmd: Command, io: CliIo, result: { code: number }) => Command;

export const processIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** Runs a command on `argv` (without the program and command names); usage errors are exit 2. */
export async function runDefined(name: string, define: DefineCommand, argv: string[], io: CliIo): Promise<number> {
  const result = { code: 0 };
  const cmd = define(new Command(name), io, result);
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  }
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return result.code;
}

/** The command for the `gateway` program; its action's exit code becomes process.exitCode. */
export function programCommand(name: string, define: DefineCommand): Command {
  const result = { code: 0 };
  const cmd = define(new Command(name), processIo, result);
  cmd.hook('postAction', () => {
    process.exitCode = result.code;
  });
  return cmd;
}
