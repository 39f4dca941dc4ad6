// `gateway sync --once` and `gateway replay` run as the CLI runs them, against a
// configuration file naming the reference EHR.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runReconcile } from '../../src/cli/reconcile-command.ts';
import type { AuditEvent } from '@medplum/fhirtypes';
import { runReplay } from '../../src/cli/replay-command.ts';
import { DEAD_LETTER_SYSTEM } from '../../src/sync/dead-letter-replay.ts';
import { runSync } from '../../src/cli/sync-command.ts';
import { openStore } from '../../src/store/open.ts';
import { packagesDir } from '../support/packages-dir.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import type { Bundle, Task } from '@medplum/fhirtypes';
import { OWNER, REFERRAL_SYSTEM, seedReferral } from './harness.ts';

let ehr: ReferenceEhr;
let dir: string;
let configFile: string;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) } };
}

// The configuration file names a SQLite data directory; DATABASE_URL would override it.
const databaseUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  delete process.env.DATABASE_URL;
  ehr = await startReferenceEhr();
  dir = mkdtempSync(path.join(tmpdir(), 'sync-cli-'));
  configFile = path.join(dir, 'gateway.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      dataDir: path.join(dir, 'data'),
      fhirPackagesDir: packagesDir(),
      profilesDir: path.resolve(import.meta.dirname, '../../profiles'),
      mappingsDir: path.resolve(import.meta.dirname, '../../mappings'),
      logLevel: 'warn',
      demo: 'off',
      security: { urlAllowList: ['127.0.0.1'] },
      ehrs: [{ name: 'cli-ehr', baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [OWNER], pollSchedule: '*/15 7-19 * * 1-5', timeoutMs: 5_000 }],
    }),
  );
});
afterAll(async () => {
  if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
  await ehr?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway sync --once', () => {
  it('polls the EHR, prints what it did, and recognises the Tasks on the next run', async () => {
    await seedReferral(ehr, 'cli-1');
    await seedReferral(ehr, 'cli-2');
    const first = io();
    expect(await runSync(['--once', '--config', configFile], first.io)).toBe(0);
    console.log(first.out.join(''));
    expect(first.out.join('')).toMatch(/EHR cli-ehr: 2 pages, 2 Tasks seen, 2 taken in/);
    const second = io();
    expect(await runSync(['--once', '--config', configFile], second.io)).toBe(0);
    expect(second.out.join('')).toMatch(/2 already seen/);
  });

  it('refuses to run without --once or with an unknown EHR (exit 2)', async () => {
    expect(await runSync(['--config', configFile], io().io)).toBe(2);
    expect(await runSync(['--once', '--config', configFile, '--ehr', 'nope'], io().io)).toBe(2);
  });
});

describe('gateway reconcile', () => {
  it('prints the drift of the referrals taken in, then repairs it', async () => {
    // The clinician cancels one referral on the EHR after the last sync.
    const found = (await (await fetch(new URL(`Task?identifier=${encodeURIComponent(`${REFERRAL_SYSTEM}|ref-cli-1`)}`, ehr.baseUrl))).json()) as Bundle<Task>;
    const task = found.entry?.[0]?.resource as Task;
    const put = await fetch(new URL(`Task/${task.id}`, ehr.baseUrl), { method: 'PUT', body: JSON.stringify({ ...task, status: 'cancelled', statusReason: { text: 'duplicate' } }), headers: { 'content-type': 'application/fhir+json' } });
    expect(put.status).toBe(200);
    const report = io();
    expect(await runReconcile(['--no-repair', '--config', configFile], report.io)).toBe(0);
    console.log(report.out.join(''));
    expect(report.out.join('')).toMatch(/EHR cli-ehr: 2 open referrals checked, 1 with drift \(0 missing, 1 version-behind, 0 status-behind-on-ehr, 1 status-ahead-on-ehr/);
    expect(report.out.join('')).toMatch(/platform requested, EHR cancelled: version-behind, status-ahead-on-ehr; repair: intake/);
    expect(report.out.join('')).toMatch(/not repaired/);
    const repair = io();
    expect(await runReconcile(['--config', configFile], repair.io)).toBe(0);
    expect(repair.out.join('')).toMatch(/repaired: 0 pushes queued, 1 EHR versions taken in/);
    const after = io();
    expect(await runReconcile(['--no-repair', '--config', configFile], after.io)).toBe(0);
    expect(after.out.join('')).toMatch(/EHR cli-ehr: 1 open referrals checked, 0 with drift/);
    expect(await runReconcile(['--ehr', 'nope', '--config', configFile], io().io)).toBe(2);
  });
});

describe('gateway replay', () => {
  it('lists and requeues dead letters', async () => {
    const store = await openStore({ dataDir: path.join(dir, 'data') });
    try {
      const item = await store.enqueue({ destination: 'ehr:cli-ehr', orderingKey: 'Task/x', reason: 'test', payload: {} });
      const [claimed] = await store.claim('w', 1, 60_000);
      expect(claimed.id).toBe(item.id);
      await store.bury(item.id, 'w', 'parked: test reason');
    } finally {
      await store.close();
    }
    const list = io();
    expect(await runReplay(['--list', '--config', configFile], list.io)).toBe(0);
    expect(list.out.join('')).toMatch(/parked: test reason/);
    expect(list.out.join('')).toMatch(/1 dead letters/);
    const id = list.out[0].split('\t')[0];
    const one = io();
    expect(await runReplay(['--id', id, '--config', configFile], one.io)).toBe(0);
    expect(one.out.join('')).toBe('requeued 1 dead letters\n');
    // The replay is in the audit trail, naming the dead letter.
    const audited = await openStore({ dataDir: path.join(dir, 'data') });
    try {
      const events = (await audited.readAudit({ limit: 100_000 })).map((r) => r.event as AuditEvent);
      expect(events.filter((e) => e.entity?.some((x) => x.what?.identifier?.system === DEAD_LETTER_SYSTEM && x.what?.identifier?.value === id))).toHaveLength(1);
    } finally {
      await audited.close();
    }
    expect(await runReplay(['--id', 'missing-id', '--config', configFile], io().io)).toBe(1);
    expect(await runReplay(['--config', configFile], io().io)).toBe(2);
  });
});
