// Child process of the crash test: a gateway on a given data directory, syncing with a given
// EHR in a loop (poll, then drain) until killed. Prints `ready` once started, then one line per cycle.
import path from 'node:path';
import { defaultConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startGateway } from '../../src/main.ts';
import { createSyncEngine } from '../../src/sync/sync-engine.ts';
import { packagesDir } from '../support/packages-dir.ts';
import { EHR_NAME, OWNER } from './harness.ts';

const [dataDir, ehrBaseUrl] = process.argv.slice(2);
const config = {
  ...defaultConfig(dataDir),
  dataDir,
  port: 0,
  host: '127.0.0.1',
  demo: 'off' as const,
  logLevel: 'error' as const,
  fhirPackagesDir: packagesDir() ?? path.join(dataDir, 'no-packages'),
  profilesDir: path.resolve(import.meta.dirname, '../../profiles'),
  mappingsDir: path.resolve(import.meta.dirname, '../../mappings'),
  ehrs: [],
};
const gateway = await startGateway(config, createLogger({ level: 'error' }), { schedules: false });
const engine = createSyncEngine({
  store: gateway.store,
  rest: gateway.rest,
  settings: { ...gateway.settings, baseUrl: 'http://gateway.test/' },
  ehrs: [{ name: EHR_NAME, baseUrl: ehrBaseUrl, auth: { kind: 'none' }, organizations: [OWNER], pollSchedule: '*/15 * * * *', timeoutMs: 5_000 }],
  maxAttempts: 1_000,
  backoff: { baseMs: 5, maxMs: 50 },
  overlapMs: 2_000,
  pageSize: 10,
  clientOverrides: { maxAttempts: 2, backoffBaseMs: 5, backoffMaxMs: 20 },
  workerId: `child-${process.pid}`,
  // Items claimed by a killed child come back after this.
  workerLeaseMs: 3_000,
});
process.stdout.write('ready\n');
for (;;) {
  try {
    const report = await engine.runOnce();
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch {
    // A failed cycle (EHR or store busy) is retried, as the scheduler would on its next tick.
    process.stdout.write('{"failed":true}\n');
  }
  await new Promise((r) => setTimeout(r, 20));
}
