// The outbox settings of the configuration (`outbox:` in the file, GATEWAY_OUTBOX_* in the
// environment) reach the worker: attempts before a dead letter, backoff, batch size and the
// claim lease of a running gateway.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_DEFAULTS } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load.ts';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { createSyncEngine, outboxOptions } from '../../src/sync/sync-engine.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

function dir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gw-outbox-config-'));
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error.message;
    }
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('outbox configuration', () => {
  it('defaults to the values the worker has always used', () => {
    const config = loadConfig({ cwd: dir(), env: {} });
    expect(config.outbox).toEqual({ maxAttempts: 12, backoffBaseMs: 2_000, backoffMaxMs: 900_000, batchSize: 32, claimLeaseMs: 120_000 });
    expect(config.outbox).toEqual(OUTBOX_DEFAULTS);
  });

  it('takes the file, then the environment, field by field', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'outbox:\n  maxAttempts: 4\n  batchSize: 8\n');
    const config = loadConfig({ cwd, env: { GATEWAY_OUTBOX_BATCH_SIZE: '16', GATEWAY_OUTBOX_CLAIM_LEASE_MS: '30000' } });
    expect(config.outbox).toEqual({ ...OUTBOX_DEFAULTS, maxAttempts: 4, batchSize: 16, claimLeaseMs: 30_000 });
    expect(outboxOptions(config.outbox)).toEqual({ maxAttempts: 4, backoff: { baseMs: 2_000, maxMs: 900_000 }, batchSize: 16, workerLeaseMs: 30_000 });
  });

  it('refuses bad values with the field and where it came from', () => {
    const cwd = dir();
    expect(messageOf(() => loadConfig({ cwd, env: { GATEWAY_OUTBOX_MAX_ATTEMPTS: '0' } }))).toMatch(/outbox\.maxAttempts .*environment variable GATEWAY_OUTBOX_MAX_ATTEMPTS/);
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'outbox:\n  retries: 3\n');
    expect(messageOf(() => loadConfig({ cwd, env: {} }))).toMatch(/outbox\.retries is not a known setting \(from gateway\.config\.yaml\)/);
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'outbox:\n  backoffBaseMs: 5000\n  backoffMaxMs: 1000\n');
    expect(messageOf(() => loadConfig({ cwd, env: {} }))).toMatch(/outbox\.backoffMaxMs must not be below outbox\.backoffBaseMs/);
  });
});

describe('outbox settings at work', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { outbox: { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 2, batchSize: 2, claimLeaseMs: 60_000 } }, { schedules: false });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a configured maxAttempts of 3 makes a dead letter on the third failure; the batch size bounds each claim', async () => {
    // No deliverer serves this destination: every attempt fails.
    for (let i = 0; i < 5; i++) {
      await gw.store.enqueue({ destination: 'ehr:not-configured', orderingKey: `Task/settings-${i}`, reason: 'test', payload: {} });
    }
    const engine = createSyncEngine({ store: gw.store, rest: gw.rest, settings: gw.settings, ehrs: [], ...outboxOptions(gw.config.outbox) });
    const first = await engine.worker.runOnce();
    let attempts = first.claimed;
    for (let round = 0; round < 50; round++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      attempts += (await engine.worker.drain()).claimed;
    }
    const dead = await gw.store.listDeadLetters({ limit: 100 });
    console.log(`outbox settings: first claim ${first.claimed} of 5 (batchSize 2); ${attempts} attempts; dead letters ${dead.length}, each after ${[...new Set(dead.map((d) => d.attempts))].join(',')} attempts`);
    expect(first.claimed).toBe(2);
    expect(dead).toHaveLength(5);
    expect(dead.every((d) => d.attempts === 3 && d.error.startsWith('gave up after 3 attempts'))).toBe(true);
    expect(attempts).toBe(15);
  });
});
