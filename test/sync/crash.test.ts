// Crash test (RELIABILITY.md scenario 11): a child gateway syncing with the reference EHR is
// killed with SIGKILL at random points, many times, then run to the end: zero Tasks lost,
// zero duplicated (locally or on the EHR), every queued update applied, cursors monotonic.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { loadSearchParameters, packageSearchParameters } from '../../src/search/definitions.ts';
import { createIndexer } from '../../src/search/indexer.ts';
import { packagesDir } from '../support/packages-dir.ts';
import type { Store } from '../../src/store/store.ts';
import { ORIGIN_SYSTEM } from '../../src/coordination/platform.ts';
import { localIdOf, OUTCOME_ID_SYSTEM } from '../../src/sync/ehr-tags.ts';
import { cursorName } from '../../src/sync/poller.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { EHR_NAME, OWNER, seedReferral } from './harness.ts';

let ehr: ReferenceEhr;
let dataDir: string;

beforeAll(async () => {
  ehr = await startReferenceEhr({ defaultPageSize: 10 });
  dataDir = mkdtempSync(path.join(tmpdir(), 'sync-crash-'));
});
afterAll(async () => {
  await ehr?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function startChild(): { child: ChildProcess; ready: Promise<void>; cycles: () => number } {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'crash-child.ts'), dataDir, ehr.baseUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  let buffer = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) {
        if (part === 'ready') resolve();
        else lines += 1;
      }
    });
    child.once('exit', () => reject(new Error('child exited before ready')));
  });
  return { child, ready, cycles: () => lines };
}

async function killed(child: ChildProcess): Promise<void> {
  const exit = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exit;
}

// The parent writes platform changes too: with the gateway's indexer, so search stays right.
const indexer = createIndexer(loadSearchParameters(packageSearchParameters(packagesDir() ?? '')));

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir, indexer });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('crash', () => {
  it('SIGKILL at random points during sync, many times: zero lost, zero duplicated, cursors monotonic', async () => {
    const count = 40;
    const tasks: Task[] = [];
    for (let i = 0; i < count; i++) {
      tasks.push(await seedReferral(ehr, `crash-${i}`));
    }
    const cursors: string[] = [];
    const kills = 5;
    let queued = false;
    for (let k = 0; k < kills; k++) {
      const run = startChild();
      await run.ready;
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 700)));
      await killed(run.child);
      await withStore(async (store) => {
        const cursor = await store.getCursor(cursorName(EHR_NAME, OWNER));
        if (cursor) cursors.push(cursor);
        if (!queued) {
          // Once some Tasks are in, queue platform changes (with outcome Procedures) for the push side.
          queued = await queueProgress(store, tasks);
        }
      });
    }
    // Last run to the end.
    const final = startChild();
    await final.ready;
    const until = Date.now() + 240_000;
    let done = false;
    // One connection for the watch, opened once (each open takes the write lock for migrations).
    await withStore(async (watch) => {
      while (!done && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1_000));
        if (!queued) {
          // The child may hold the write lock for a moment: try again on the next round.
          queued = await queueProgress(watch, tasks).catch(() => false);
        }
        const outboxLeft = (await watch.countOutbox('pending')) + (await watch.countOutbox('in-flight'));
        done = final.cycles() > 1 && outboxLeft === 0 && queued;
      }
    });
    await killed(final.child);

    const result = await withStore(async (store) => {
      let lost = 0;
      for (const task of tasks) {
        const local = await store.readResource<Task>('default', 'Task', localIdOf(EHR_NAME, 'Task', task.id ?? ''));
        lost += local ? 0 : 1;
      }
      const copies = await store.search('default', { resourceType: 'Task', filters: [{ kind: 'token', param: '_tag', values: [{ system: ORIGIN_SYSTEM, code: `ehr:${EHR_NAME}` }] }], summaryCount: true, total: 'accurate' });
      cursors.push((await store.getCursor(cursorName(EHR_NAME, OWNER))) ?? '');
      return { lost, copies: copies.total ?? -1, dead: (await store.listDeadLetters({ limit: 100 })).length };
    });
    let ehrDuplicates = 0;
    let notApplied = 0;
    for (const task of tasks) {
      const n = await ehr.countByIdentifier('Procedure', OUTCOME_ID_SYSTEM, procedureIdFor(task));
      ehrDuplicates += Math.max(0, n - 1);
      const current = (await (await fetch(new URL(`Task/${task.id}`, ehr.baseUrl))).json()) as Task;
      notApplied += current.status === 'accepted' && n === 1 ? 0 : 1;
    }
    const monotonic = cursors.every((c, i) => i === 0 || Date.parse(c) >= Date.parse(cursors[i - 1]));
    console.log(
      `crash: ${kills} SIGKILLs, ${count} Tasks: lost ${result.lost}, local copies ${result.copies} (duplicates ${result.copies - count}), ` +
        `updates not applied ${notApplied}, duplicate Procedures on the EHR ${ehrDuplicates}, dead letters ${result.dead}, cursors monotonic ${monotonic} (${cursors.length} observed)`,
    );
    expect(done).toBe(true);
    expect(result.lost).toBe(0);
    expect(result.copies).toBe(count);
    expect(notApplied).toBe(0);
    expect(ehrDuplicates).toBe(0);
    expect(result.dead).toBe(0);
    expect(monotonic).toBe(true);
  }, 420_000);
});

function procedureIdFor(task: Task): string {
  return `outcome-${localIdOf(EHR_NAME, 'Task', task.id ?? '').slice(4, 30)}`;
}

/** When every Task has been taken in: each gets status accepted, an outcome Procedure and an outbox item. */
async function queueProgress(store: Store, tasks: Task[]): Promise<boolean> {
  const locals = [];
  for (const task of tasks) {
    const local = await store.readResource<Task>('default', 'Task', localIdOf(EHR_NAME, 'Task', task.id ?? ''));
    if (!local) return false;
    locals.push({ task, local });
  }
  for (const { task, local } of locals) {
    await store.transaction(async (tx) => {
      const procedureId = procedureIdFor(task);
      await tx.updateResource('default', { resourceType: 'Procedure', id: procedureId, status: 'completed', code: { text: 'Visit' }, subject: { reference: local.resource.for?.reference ?? 'Patient/x' } });
      await tx.updateResource(
        'default',
        {
          ...local.resource,
          id: local.id,
          status: 'accepted',
          output: [{ type: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'resulting-activity' }] }, valueReference: { reference: `Procedure/${procedureId}` } }],
        },
        { ifMatch: local.versionId },
      );
      await tx.enqueue({ destination: `ehr:${EHR_NAME}`, orderingKey: `Task/${local.id}`, reason: 'source-task-changed', payload: { tenant: 'default', resourceType: 'Task', id: local.id } });
    });
  }
  return true;
}
