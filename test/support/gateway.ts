// A whole gateway for integration tests: in-process, on a loopback port, with a fresh
// SQLite file or a fresh PostgreSQL schema, the shared FHIR packages and demo mode off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/load.ts';
import type { GatewayConfig } from '../../src/config/config.ts';
import { startGateway, type Gateway, type StartOptions } from '../../src/main.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';
import { capturedLogger } from './http.ts';
import { packagesDir } from './packages-dir.ts';

export type StoreKind = 'sqlite' | 'postgres';

export interface TestGateway extends Gateway {
  /** FHIR base URL, ending in `/`. */
  base: string;
  config: GatewayConfig;
  logLines: string[];
}

/** The store kinds to run a suite on: SQLite always, PostgreSQL when DATABASE_URL is set. */
export function storeKinds(): StoreKind[] {
  return postgresUrl().url ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function startTestGateway(kind: StoreKind = 'sqlite', overrides: Partial<GatewayConfig> = {}, start: StartOptions = {}): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-test-'));
  const schema = kind === 'postgres' ? uniqueSchema() : undefined;
  const databaseUrl = kind === 'postgres' ? postgresUrl().url : undefined;
  const config: GatewayConfig = {
    ...defaultConfig(dir),
    port: 0,
    demo: 'off',
    logLevel: 'info',
    fhirPackagesDir: packagesDir() ?? path.join(dir, 'no-packages'),
    profilesDir: path.resolve(import.meta.dirname, '../../profiles'),
    mappingsDir: path.resolve(import.meta.dirname, '../../mappings'),
    databaseUrl,
    databaseSchema: schema,
    ...overrides,
    // Existing suites call the FHIR API without credentials; security suites pass allowAnonymous: false.
    security: { ...defaultConfig(dir).security, allowAnonymous: true, ...overrides.security },
  };
  const log = capturedLogger();
  const gateway = await startGateway(config, log.logger, start);
  const base = `${gateway.url}/`;
  return {
    ...gateway,
    base,
    config,
    logLines: log.lines,
    close: async () => {
      await gateway.close();
      if (schema && databaseUrl) {
        await dropSchema(databaseUrl, schema);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
