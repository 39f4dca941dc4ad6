// Pushing platform changes back to the reference EHR over HTTP (RELIABILITY.md scenarios 3-6):
// an outage with many queued updates, Retry-After in both forms, commit-then-timeout, and
// If-Match conflicts with a clinician writing the same Task. Each test prints its figure.
import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_ID_SYSTEM } from '../../src/sync/ehr-tags.ts';
import { localTask, progressLocally, readEhrTask, seedReferral, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function seedAndTakeIn(prefix: string, count: number): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    tasks.push(await seedReferral(h.ehr, `${prefix}-${i}`));
  }
  await h.engine.runOnce();
  for (const task of tasks) {
    expect(await localTask(h.gateway, task.id ?? '')).toBeDefined();
  }
  return tasks;
}

/** Drains until nothing is pending or in flight (items waiting for a retry included). */
async function drainAll(limitMs = 45_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    await h.engine.worker.drain();
    if ((await h.gateway.store.countOutbox('pending')) + (await h.gateway.store.countOutbox('in-flight')) === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('outbox did not drain');
}

describe('outbox to the EHR', () => {
  it('EHR 503 outage with many queued updates: all applied once afterwards, zero duplicates', async () => {
    const count = 40;
    const tasks = await seedAndTakeIn('outage', count);
    const procedures: string[] = [];
    for (const [i, task] of tasks.entries()) {
      procedures.push((await progressLocally(h.gateway, task.id ?? '', 'accepted', true)) ?? '');
      if (i % 2 === 0) {
        // A second change of the same Task queued behind the first (order per key).
        await progressLocally(h.gateway, task.id ?? '', 'in-progress', false);
      }
    }
    const queued = await h.gateway.store.countOutbox('pending');
    const outage = h.ehr.faults.add({ action: { kind: 'status', status: 503 } });
    const during = await h.engine.worker.drain({ maxRounds: 4 });
    expect(during.delivered).toBe(0);
    expect(during.retried).toBeGreaterThan(0);
    h.ehr.faults.clear();
    const started = Date.now();
    await drainAll();
    const elapsed = Date.now() - started;

    let duplicates = 0;
    let missing = 0;
    for (const [i, task] of tasks.entries()) {
      const ehrTask = await readEhrTask(h.ehr, task.id ?? '');
      if (ehrTask.status !== (i % 2 === 0 ? 'in-progress' : 'accepted') || ehrTask.output?.length !== 1) {
        missing += 1;
      }
      const n = await h.ehr.countByIdentifier('Procedure', OUTCOME_ID_SYSTEM, procedures[i]);
      duplicates += Math.max(0, n - 1);
      missing += n === 0 ? 1 : 0;
    }
    const dead = await h.gateway.store.listDeadLetters({ limit: 10 });
    console.log(`outage: ${queued} queued updates, ${outage.applied} requests refused with 503, drained in ${elapsed} ms after recovery; missing ${missing}, duplicates ${duplicates}, dead letters ${dead.length}`);
    expect(missing).toBe(0);
    expect(duplicates).toBe(0);
    expect(dead).toHaveLength(0);
  });

  it.each(['seconds', 'http-date'] as const)('Retry-After (%s) is respected: no request before the deadline', async (format) => {
    const [task] = await seedAndTakeIn(`retry-after-${format}`, 1);
    await progressLocally(h.gateway, task.id ?? '', 'accepted', false);
    const from = h.ehr.requests.length;
    h.ehr.faults.add({ method: 'PUT', times: 1, action: { kind: 'retry-after', status: 429, seconds: 1, format } });
    await drainAll();
    const log = h.ehr.requests.slice(from);
    const throttled = log.findIndex((r) => r.retryAfter !== undefined);
    expect(throttled).toBeGreaterThanOrEqual(0);
    const entry = log[throttled];
    const deadline = format === 'seconds' ? (entry.retryAfterIssuedAt ?? 0) + 1_000 : Date.parse(entry.retryAfter ?? '');
    const next = log.slice(throttled + 1).find((r) => r.method === 'PUT');
    console.log(`retry-after ${format}: next PUT ${(next?.at ?? 0) - deadline} ms after the deadline`);
    expect(next).toBeDefined();
    expect(next!.at).toBeGreaterThanOrEqual(deadline);
    expect((await readEhrTask(h.ehr, task.id ?? '')).status).toBe('accepted');
  });

  it('commit then timeout: the retry finds the write, no duplicate Procedure, no lost status', async () => {
    const [task] = await seedAndTakeIn('commit-hang', 1);
    const procedureId = (await progressLocally(h.gateway, task.id ?? '', 'accepted', true)) ?? '';
    const hangCreate = h.ehr.faults.add({ method: 'POST', path: /\/Procedure/, times: 1, action: { kind: 'commit-then-hang' } });
    const hangUpdate = h.ehr.faults.add({ method: 'PUT', path: /\/Task\//, times: 1, action: { kind: 'commit-then-hang' } });
    await drainAll();
    const count = await h.ehr.countByIdentifier('Procedure', OUTCOME_ID_SYSTEM, procedureId);
    const ehrTask = await readEhrTask(h.ehr, task.id ?? '');
    console.log(`commit-then-timeout: ${hangCreate.applied + hangUpdate.applied} hung writes, Procedures with the identifier: ${count}, EHR status ${ehrTask.status}`);
    expect(hangCreate.applied).toBe(1);
    expect(hangUpdate.applied).toBe(1);
    expect(count).toBe(1);
    expect(ehrTask.status).toBe('accepted');
    expect(ehrTask.output).toHaveLength(1);
  });

  it('If-Match conflicts with a clinician writing the same Task: zero lost updates', async () => {
    const count = 8;
    const tasks = await seedAndTakeIn('conflict', count);
    let conflicts = 0;
    for (const task of tasks) {
      await progressLocally(h.gateway, task.id ?? '', 'accepted', false);
      const from = h.ehr.requests.length;
      h.ehr.faults.add({ method: 'PUT', path: new RegExp(`/Task/${task.id}`), times: 1, action: { kind: 'latency', ms: 300 } });
      const draining = h.engine.worker.drain();
      // While our PUT waits on the EHR, a clinician adds a note (a newer version).
      while (!h.ehr.requests.slice(from).some((r) => r.method === 'PUT')) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const current = await readEhrTask(h.ehr, task.id ?? '');
      const res = await fetch(new URL(`Task/${task.id}`, h.ehr.baseUrl), {
        method: 'PUT',
        body: JSON.stringify({ ...current, note: [{ text: 'Called the patient' }] }),
        headers: { 'content-type': 'application/fhir+json', 'if-match': `W/"${current.meta?.versionId}"` },
      });
      expect(res.status).toBe(200);
      await draining;
      await drainAll();
      conflicts += h.ehr.requests.slice(from).filter((r) => r.method === 'PUT' && (r.status === 412 || r.status === 409)).length;
    }
    let lost = 0;
    for (const task of tasks) {
      const ehrTask = await readEhrTask(h.ehr, task.id ?? '');
      lost += ehrTask.status === 'accepted' ? 0 : 1;
      lost += ehrTask.note?.[0]?.text === 'Called the patient' ? 0 : 1;
    }
    console.log(`if-match: ${count} races, ${conflicts} version conflicts answered by the EHR, lost updates ${lost}`);
    expect(conflicts).toBeGreaterThanOrEqual(count);
    expect(lost).toBe(0);
  });
});
