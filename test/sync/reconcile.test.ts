// Reconciliation against the reference EHR with deliberate drift: lost outbox items (platform
// ahead, outcomes missing), clinician changes not yet polled, a Task deleted on the EHR, a
// diverged status that must not be overwritten. Reported first, then repaired where safe, and
// the job runs on the scheduler's lease.
import type { Procedure, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { formatReconcileReport } from '../../src/sync/reconcile-job.ts';
import { createSyncScheduler } from '../../src/sync/scheduler.ts';
import { storeKinds } from '../support/gateway.ts';
import { EHR_NAME, localTask, readEhrTask, seedReferral, startHarness, type Harness } from './harness.ts';

describe.each(storeKinds())('reconciliation on %s', (kind) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ kind });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A change on the platform whose outbox item was lost: no item queued. */
  async function changeLocallyWithoutOutbox(ehrId: string, status: Task['status'], withProcedure = false): Promise<void> {
    const tenant = h.gateway.settings.tenant;
    const id = localIdOf(EHR_NAME, 'Task', ehrId);
    await h.gateway.store.transaction(async (tx) => {
      const current = await tx.readResource<Task>(tenant, 'Task', id);
      if (!current) throw new Error('no local copy');
      const task: Task & { id: string } = { ...current.resource, id, status };
      if (withProcedure) {
        const procedure: Procedure & { id: string } = { resourceType: 'Procedure', id: `lost-outcome-${ehrId}`.slice(0, 64), status: 'completed', code: { text: 'Food pantry visit' }, subject: { reference: current.resource.for?.reference ?? 'Patient/x' } };
        await tx.updateResource(tenant, procedure);
        task.output = [{ type: { text: 'resulting-activity' }, valueReference: { reference: `Procedure/${procedure.id}` } }];
      }
      await tx.updateResource(tenant, task, { ifMatch: current.versionId });
    });
  }

  async function ehrPut(task: Task): Promise<void> {
    const response = await fetch(new URL(`Task/${task.id}`, h.ehr.baseUrl), { method: 'PUT', body: JSON.stringify(task), headers: { 'content-type': 'application/fhir+json' } });
    expect(response.status).toBe(200);
  }

  describe('drift', () => {
    it('reports deliberate drift, repairs what is safe, leaves the rest for a person', async () => {
      const [same, lost, lostOutcome, cancelledOnEhr, deleted, diverged, noted] = await Promise.all(['same', 'lost', 'outcome', 'cancelled', 'deleted', 'diverged', 'noted'].map((n) => seedReferral(h.ehr, `rec-${n}`)));
      const taken = await h.engine.runOnce();
      expect(taken.ehrs[0].poll.applied).toBe(7);
      const id = (t: Task): string => t.id ?? '';

      await changeLocallyWithoutOutbox(id(lost), 'accepted');
      await changeLocallyWithoutOutbox(id(lostOutcome), 'in-progress', true);
      await ehrPut({ ...(await readEhrTask(h.ehr, id(cancelledOnEhr))), status: 'cancelled', statusReason: { text: 'patient moved' } });
      expect((await fetch(new URL(`Task/${id(deleted)}`, h.ehr.baseUrl), { method: 'DELETE' })).ok).toBe(true);
      // Accepted on the platform (not yet pushed) while the clinic marked it rejected: no allowed path either way.
      await changeLocallyWithoutOutbox(id(diverged), 'accepted');
      await ehrPut({ ...(await readEhrTask(h.ehr, id(diverged))), status: 'rejected', statusReason: { text: 'not eligible' } });
      await ehrPut({ ...(await readEhrTask(h.ehr, id(noted))), note: [{ text: 'called the patient' }] });

      const reconciler = h.engine.reconcilers.get(EHR_NAME);
      if (!reconciler) throw new Error('no reconciler');
      const report = await reconciler.run();
      console.log(formatReconcileReport(report, false));
      expect(report.checked).toBe(7);
      expect(report.drifted).toHaveLength(6);
      expect(report.counts).toEqual({ missing: 1, 'version-behind': 3, 'status-behind-on-ehr': 2, 'status-ahead-on-ehr': 1, 'status-diverged': 1, 'outcomes-missing': 1 });
      const byEhrId = new Map(report.drifted.map((d) => [d.ehrTaskId, d]));
      expect(byEhrId.has(id(same))).toBe(false);
      expect(byEhrId.get(id(lost))?.repairs).toEqual(['push']);
      expect(byEhrId.get(id(lostOutcome))?.kinds).toEqual(['status-behind-on-ehr', 'outcomes-missing']);
      expect(byEhrId.get(id(cancelledOnEhr))?.repairs).toEqual(['intake']);
      expect(byEhrId.get(id(deleted))?.kinds).toEqual(['missing']);
      expect(byEhrId.get(id(diverged))?.kinds).toEqual(['version-behind', 'status-diverged']);
      expect(byEhrId.get(id(noted))?.kinds).toEqual(['version-behind']);
      // Reporting alone changed nothing.
      expect(await h.gateway.store.countOutbox('pending')).toBe(0);

      const repaired = await reconciler.run({ repair: true });
      const drained = await h.engine.worker.drain();
      console.log(`${formatReconcileReport(repaired, true)}outbox after repair: ${drained.delivered} delivered, ${drained.parked} parked`);
      expect(repaired.pushed).toBe(2);
      expect(repaired.takenIn).toBe(3);
      expect(drained.delivered).toBe(2);
      expect(drained.parked + drained.buried).toBe(0);
      expect((await readEhrTask(h.ehr, id(lost))).status).toBe('accepted');
      const withOutcome = await readEhrTask(h.ehr, id(lostOutcome));
      expect(withOutcome.status).toBe('in-progress');
      expect(withOutcome.output?.[0]?.valueReference?.reference).toMatch(/^Procedure\//);
      expect((await localTask(h.gateway, id(cancelledOnEhr)))?.task.status).toBe('cancelled');
      expect((await localTask(h.gateway, id(noted)))?.task.note).toEqual([{ text: 'called the patient' }]);
      // The diverged one: neither side overwritten.
      expect((await readEhrTask(h.ehr, id(diverged))).status).toBe('rejected');
      expect((await localTask(h.gateway, id(diverged)))?.task.status).toBe('accepted');

      // What is left after repair: the deleted Task and the divergence, each for a person.
      // (The repairs' own EHR versions are taken in by the next poll, as every pushed version is.)
      await h.engine.runOnce();
      const after = await reconciler.run();
      console.log(`after repair: ${after.drifted.length} drifted of ${after.checked} open (${after.drifted.map((d) => d.kinds.join('+')).join(', ')})`);
      expect(after.drifted.map((d) => d.kinds)).toEqual(expect.arrayContaining([['missing'], ['status-diverged']]));
      expect(after.drifted).toHaveLength(2);
    });

    it('runs as a scheduled job once per tick on the lease', async () => {
      const scheduler = createSyncScheduler({ store: h.gateway.store, jobs: h.engine.jobs() });
      const at = new Date();
      const first = await scheduler.tick(`reconcile-${EHR_NAME}`, at);
      const again = await scheduler.tick(`reconcile-${EHR_NAME}`, at);
      console.log(`reconcile job: first tick ${first}, same tick again ${again}`);
      expect(first).toBe('ran');
      expect(again).toBe('already-ran');
    });
  });
});
