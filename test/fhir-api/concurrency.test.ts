// Concurrency evidence for the FHIR API (FHIR R4 http.html#concurrency and #ccreate): two
// writers racing with If-Match, parallel conditional creates with one identifier; on
// PostgreSQL also across two separate gateway server processes sharing one database.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Bundle, Organization, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';
import { packagesDir } from '../support/packages-dir.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';
import { organization, REFERRAL_SYSTEM, serviceRequest, task } from './referral-data.ts';

const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const PARALLEL = 20;

async function call(base: string, method: string, relative: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(relative, base), {
    method,
    headers: { ...FHIR, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Creates an owner, a ServiceRequest and a Task; returns the Task. */
async function seedTask(base: string, referral: string): Promise<Task> {
  const org = (await call(base, 'POST', 'Organization', organization(`Owner ${referral}`))).body as Organization;
  const sr = await call(base, 'POST', 'ServiceRequest', serviceRequest({ referral, patientRef: 'Patient/p-any', performerRef: `Organization/${org.id}` }));
  const created = await call(base, 'POST', 'Task', task({ referral, focusRef: `ServiceRequest/${sr.body.id}`, patientRef: 'Patient/p-any', ownerRef: `Organization/${org.id}` }));
  expect(created.status).toBe(201);
  return created.body as Task;
}

/** Two writers PUT the same Task with the same If-Match; returns the sorted statuses. */
async function ifMatchDuel(bases: [string, string], current: Task): Promise<number[]> {
  const version = current.meta?.versionId ?? '1';
  const write = (base: string, status: Task['status']) => call(base, 'PUT', `Task/${current.id}`, { ...current, status }, { 'if-match': `W/"${version}"` });
  const results = await Promise.all([write(bases[0], 'accepted'), write(bases[1], 'rejected')]);
  return results.map((r) => r.status).sort();
}

/** PARALLEL conditional creates of one Task identifier, spread over the bases; returns statuses and the stored count. */
async function conditionalCreateRace(bases: string[], referral: string, focus: Task) {
  const body = task({ referral, focusRef: focus.focus!.reference!, patientRef: 'Patient/p-any', ownerRef: focus.owner!.reference! });
  const criteria = new URLSearchParams({ identifier: `${REFERRAL_SYSTEM}|${referral}` }).toString();
  const results = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => call(bases[i % bases.length], 'POST', 'Task', body, { 'if-none-exist': criteria })));
  const statuses = results.map((r) => r.status);
  const ids = new Set(results.map((r) => r.body?.id as string | undefined));
  const count = (await call(bases[0], 'GET', `Task?${criteria}&_summary=count`)).body as Bundle;
  return { created: statuses.filter((s) => s === 201).length, found: statuses.filter((s) => s === 200).length, other: statuses.filter((s) => s !== 200 && s !== 201), ids, stored: count.total };
}

describe.each(storeKinds())('concurrency on %s (one server)', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('two writers with the same If-Match: exactly one wins, the other gets 412 or 409', async () => {
    for (let round = 0; round < 3; round++) {
      const current = await seedTask(gw.base, `duel-${round}`);
      const statuses = await ifMatchDuel([gw.base, gw.base], current);
      const winners = statuses.filter((s) => s === 200).length;
      const conflicts = statuses.filter((s) => s === 412 || s === 409).length;
      console.log(`[${kind}] If-Match duel round ${round}: winners=${winners} conflicts=${conflicts}`);
      expect(statuses).toHaveLength(2);
      expect(winners).toBe(1);
      expect(conflicts).toBe(1);
      const after = (await call(gw.base, 'GET', `Task/${current.id}`)).body as Task;
      expect(after.meta?.versionId).toBe('2');
    }
  });

  test(`${PARALLEL} parallel conditional creates with one identifier make exactly one resource`, async () => {
    const seed = await seedTask(gw.base, 'cc-seed');
    const race = await conditionalCreateRace([gw.base], 'cc-one-server', seed);
    console.log(`[${kind}] conditional creates: created=${race.created} of ${PARALLEL} (found=${race.found}, stored=${race.stored})`);
    expect(race.other).toEqual([]);
    expect(race.created).toBe(1);
    expect(race.found).toBe(PARALLEL - 1);
    expect(race.ids.size).toBe(1);
    expect(race.stored).toBe(1);
  });
});

// Two gateway processes on one PostgreSQL schema: the replicas case (ARCHITECTURE: replicas share one PostgreSQL).
const databaseUrl = postgresUrl().url;
describe.runIf(databaseUrl)('concurrency on postgres across two server processes', () => {
  const schema = uniqueSchema();
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const bases: string[] = [];

  const startServer = (): Promise<string> => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-proc-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/gateway.js'), 'serve'], {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        GATEWAY_DB_SCHEMA: schema,
        GATEWAY_DATA_DIR: dataDir,
        GATEWAY_DEMO: 'off',
        GATEWAY_ALLOW_ANONYMOUS: 'true',
        GATEWAY_PROFILES_DIR: path.resolve(import.meta.dirname, '../../profiles'),
        GATEWAY_MAPPINGS_DIR: path.resolve(import.meta.dirname, '../../mappings'),
        FHIR_PACKAGES_DIR: packagesDir() ?? '',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`gateway process did not start in time: ${err.slice(-500)}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /Gateway listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(`${match[1]}/`);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway process exited with ${code}: ${err.slice(-500)}`));
      });
    });
  };

  beforeAll(async () => {
    // One after the other: the first runs the migrations, the second finds them done.
    bases.push(await startServer());
    bases.push(await startServer());
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
          }),
      ),
    );
    await dropSchema(databaseUrl!, schema);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test('the two processes are distinct servers on one database', async () => {
    expect(bases).toHaveLength(2);
    expect(bases[0]).not.toBe(bases[1]);
    const seed = await seedTask(bases[0], 'two-proc-visible');
    expect((await call(bases[1], 'GET', `Task/${seed.id}`)).status).toBe(200);
  });

  test('If-Match duel across the two processes: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const current = await seedTask(bases[0], `two-proc-duel-${round}`);
      const statuses = await ifMatchDuel([bases[0], bases[1]], current);
      const winners = statuses.filter((s) => s === 200).length;
      const conflicts = statuses.filter((s) => s === 412 || s === 409).length;
      console.log(`[postgres, 2 processes] If-Match duel round ${round}: winners=${winners} conflicts=${conflicts}`);
      expect(winners).toBe(1);
      expect(conflicts).toBe(1);
    }
  });

  test(`${PARALLEL} parallel conditional creates split across both processes make exactly one resource`, async () => {
    const seed = await seedTask(bases[0], 'two-proc-cc-seed');
    const race = await conditionalCreateRace(bases, 'two-proc-cc', seed);
    console.log(`[postgres, 2 processes] conditional creates: created=${race.created} of ${PARALLEL} (found=${race.found}, stored=${race.stored})`);
    expect(race.other).toEqual([]);
    expect(race.created).toBe(1);
    expect(race.ids.size).toBe(1);
    expect(race.stored).toBe(1);
  });
});
