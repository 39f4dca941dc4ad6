import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { OperationOutcomeError } from '../fhir/index.ts';
import { DEFAULT_POLL_SCHEDULE, loadConfig } from './load.ts';

function dir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gw-config-'));
}

function errorOf(fn: () => unknown): OperationOutcomeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  test('defaults give an embedded SQLite store under ./data', () => {
    const cwd = dir();
    const config = loadConfig({ cwd, env: {} });
    expect(config.dataDir).toBe(path.join(cwd, 'data'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(8080);
    expect(config.demo).toBe('auto');
  });

  test('environment overrides the file, which overrides defaults', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'port: 9000\nlogLevel: debug\nlimits:\n  jsonDepth: 50\n');
    const config = loadConfig({ cwd, env: { PORT: '9100', DATABASE_URL: 'postgres://u@127.0.0.1:5432/test' } });
    expect(config.port).toBe(9100);
    expect(config.logLevel).toBe('debug');
    expect(config.limits).toEqual({ bodyBytes: 5 * 1024 * 1024, jsonDepth: 50 });
    expect(config.databaseUrl).toBe('postgres://u@127.0.0.1:5432/test');
  });

  test('EHR entries get defaults, including the IG-friendly poll schedule', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'gw.yaml'), 'ehrs:\n  - name: county-ehr\n    baseUrl: https://ehr.example.org/fhir/\n');
    const [ehr] = loadConfig({ cwd, env: { GATEWAY_CONFIG: 'gw.yaml' } }).ehrs;
    expect(ehr.pollSchedule).toBe(DEFAULT_POLL_SCHEDULE);
    expect(ehr.auth).toEqual({ kind: 'none' });
  });

  test.each([
    [{ PORT: 'eighty' }, 'port must be integer (from environment variable PORT)'],
    [{ PORT: '70000' }, 'port must be <= 65535 (from environment variable PORT)'],
    [{ LOG_LEVEL: 'loud' }, 'logLevel must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ DATABASE_URL: 'mysql://x' }, 'databaseUrl must match pattern'],
    [{ GATEWAY_BODY_LIMIT: '10' }, 'limits.bodyBytes must be >= 1024'],
  ])('a bad environment value is named: %j', (env, message) => {
    const error = errorOf(() => loadConfig({ cwd: dir(), env }));
    expect(error.message).toContain(message);
  });

  test('an unknown setting in the file is named with the file', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'prot: 9000\n');
    const error = errorOf(() => loadConfig({ cwd, env: {} }));
    expect(error.message).toBe('Invalid configuration: prot is not a known setting (from gateway.config.yaml)');
    expect(error.outcome.issue[0].expression).toEqual(['prot']);
  });

  test('a bad EHR entry is named by its index', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'gateway.config.yaml'), 'ehrs:\n  - name: Bad Name\n    baseUrl: https://ehr.example.org/\n');
    expect(errorOf(() => loadConfig({ cwd, env: {} })).message).toContain('ehrs[0].name must match pattern');
  });

  test('a missing explicit file is reported, not thrown raw', () => {
    expect(errorOf(() => loadConfig({ cwd: dir(), env: { GATEWAY_CONFIG: 'nope.yaml' } })).message).toBe(
      'Invalid configuration: nope.yaml: file not found',
    );
  });
});
