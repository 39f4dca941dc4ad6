#!/usr/bin/env node
// The `gateway` command. The sources are TypeScript run by Node's own type stripping
// (on by default from Node 22.18; Node 22.13-22.17 need the flag, so re-run with it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.features.typescript) {
  const { main } = await import('../src/cli/program.ts');
  await main(process.argv);
} else {
  const args = ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
