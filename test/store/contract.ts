// The store contract: every adapter must pass these. `open` returns a store on a fresh,
// empty database each time it is called.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Patient, Resource, Task } from '@medplum/fhirtypes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { statusOf } from '../../src/fhir/http-status.ts';
import { findBrokenLink } from '../../src/store/audit-chain.ts';
import type { Store, StoreOps } from '../../src/store/store.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function task(id: string, status: Task['status'] = 'requested', extra: Partial<Task> = {}): Task & { id: string } {
  return { resourceType: 'Task', id, status, intent: 'order', ...extra };
}

async function statusOfRejection(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OperationOutcomeError);
    return statusOf((error as OperationOutcomeError).outcome);
  }
  throw new Error('expected the promise to reject');
}

/** The pattern the FHIR layer uses for If-None-Exist: lock the identifier, look it up, create when absent. */
async function createPatientOnce(tx: StoreOps, tenant: string, system: string, value: string): Promise<string> {
  await tx.lock(`Patient|${system}|${value}`);
  const found = await tx.search(tenant, {
    resourceType: 'Patient',
    filters: [{ kind: 'token', param: 'identifier', values: [{ system, code: value }] }],
    count: 2,
  });
  if (found.versions.length > 0) {
    return found.versions[0].id;
  }
  const id = randomUUID();
  await tx.createResource<Patient>(tenant, { resourceType: 'Patient', id, identifier: [{ system, value }] });
  return id;
}

export function runStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('resources', () => {
      it('creates, reads, updates, versions, lists history and deletes', async () => {
        const created = await store.createResource('t1', task('a'));
        expect(created.versionId).toBe('1');
        expect(created.resource.meta?.versionId).toBe('1');
        expect(created.resource.meta?.lastUpdated).toBe(created.lastUpdated);
        expect(created.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

        const updated = await store.updateResource('t1', task('a', 'accepted'), { ifMatch: '1' });
        expect(updated.created).toBe(false);
        expect(updated.version.versionId).toBe('2');
        expect(Date.parse(updated.version.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(created.lastUpdated));

        const read = await store.readResource<Task>('t1', 'Task', 'a');
        expect(read?.resource.status).toBe('accepted');
        expect(read?.resource.meta?.versionId).toBe('2');
        expect((await store.readVersion<Task>('t1', 'Task', 'a', '1'))?.resource.status).toBe('requested');
        expect(await store.readVersion('t1', 'Task', 'a', '9')).toBeUndefined();

        const deleted = await store.deleteResource('t1', 'Task', 'a');
        expect(deleted).toMatchObject({ deleted: true, versionId: '3' });
        expect(await store.deleteResource('t1', 'Task', 'a')).toMatchObject({ deleted: true, versionId: '3' });
        expect(await store.readResource('t1', 'Task', 'a')).toMatchObject({ deleted: true, versionId: '3' });
        expect(await store.deleteResource('t1', 'Task', 'never')).toBeUndefined();

        const history = await store.readHistory('t1', 'Task', 'a', { count: 10 });
        expect(history.map((v) => [v.versionId, v.deleted])).toEqual([
          ['3', true],
          ['2', false],
          ['1', false],
        ]);
        expect((await store.readHistory('t1', 'Task', 'a', { count: 1, offset: 1 })).map((v) => v.versionId)).toEqual(['2']);

        // Update after delete re-creates the resource with the next version.
        const revived = await store.updateResource('t1', task('a', 'ready'));
        expect(revived).toMatchObject({ created: true, version: { versionId: '4', deleted: false } });
      });

      it('lists type history newest first, filtered by since', async () => {
        await store.createResource('t1', task('h1'));
        await sleep(5);
        const second = await store.createResource('t1', task('h2'));
        await store.createResource('t1', { resourceType: 'Patient', id: 'h1' });
        const all = await store.readHistory('t1', 'Task', undefined, { count: 10 });
        expect(all.map((v) => v.id)).toEqual(['h2', 'h1']);
        const since = await store.readHistory('t1', 'Task', undefined, { count: 10, since: second.lastUpdated });
        expect(since.map((v) => v.id)).toEqual(['h2']);
        expect(await statusOfRejection(store.readHistory('t1', 'Task', undefined, { count: 10, since: 'yesterday' }))).toBe(400);
      });

      it('creates many resources at once, all or nothing', async () => {
        const many = await store.createMany<Resource>('t1', [task('m1', 'requested', { owner: { reference: 'Organization/bulk' } }), task('m2'), { resourceType: 'Patient', id: 'm1' }]);
        expect(many.map((v) => [v.resourceType, v.id, v.versionId, v.resource.meta?.versionId])).toEqual([
          ['Task', 'm1', '1', '1'],
          ['Task', 'm2', '1', '1'],
          ['Patient', 'm1', '1', '1'],
        ]);
        expect((await store.readHistory('t1', 'Task', 'm2', { count: 5 })).map((v) => v.versionId)).toEqual(['1']);
        const found = await store.search('t1', { resourceType: 'Task', filters: [{ kind: 'reference', param: 'owner', values: ['Organization/bulk'] }] });
        expect(found.versions.map((v) => v.id)).toEqual(['m1']);
        expect(await statusOfRejection(store.createMany('t1', [task('m3'), task('m2')]))).toBe(409);
        expect(await store.readResource('t1', 'Task', 'm3')).toBeUndefined();
      });

      it('refuses a second create of a live id with 409', async () => {
        await store.createResource('t1', task('dup'));
        expect(await statusOfRejection(store.createResource('t1', task('dup')))).toBe(409);
      });

      it('refuses an If-Match mismatch with 412 and keeps the stored version', async () => {
        await store.createResource('t1', task('m'));
        await store.updateResource('t1', task('m', 'accepted'));
        expect(await statusOfRejection(store.updateResource('t1', task('m', 'rejected'), { ifMatch: '1' }))).toBe(412);
        expect(await statusOfRejection(store.updateResource('t1', task('absent'), { ifMatch: '1' }))).toBe(412);
        const current = await store.readResource<Task>('t1', 'Task', 'm');
        expect([current?.versionId, current?.resource.status]).toEqual(['2', 'accepted']);
      });

      it('lets exactly one of two writers with the same If-Match win', async () => {
        await store.createResource('t1', task('race'));
        const results = await Promise.allSettled([
          store.updateResource('t1', task('race', 'accepted'), { ifMatch: '1' }),
          store.updateResource('t1', task('race', 'rejected'), { ifMatch: '1' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected');
        expect(statusOf(((rejected as PromiseRejectedResult).reason as OperationOutcomeError).outcome)).toBe(412);
        expect((await store.readResource('t1', 'Task', 'race'))?.versionId).toBe('2');
      });

      it('keeps tenants apart: the same id in two tenants never crosses', async () => {
        await store.createResource('tenant-a', task('same', 'requested', { owner: { reference: 'Organization/a' } }));
        await store.createResource('tenant-b', task('same', 'accepted', { owner: { reference: 'Organization/a' } }));
        await store.updateResource('tenant-b', task('same', 'completed'));
        expect((await store.readResource<Task>('tenant-a', 'Task', 'same'))?.resource).toMatchObject({ status: 'requested', meta: { versionId: '1' } });
        expect((await store.readResource<Task>('tenant-b', 'Task', 'same'))?.resource).toMatchObject({ status: 'completed', meta: { versionId: '2' } });
        expect(await store.readResource('tenant-c', 'Task', 'same')).toBeUndefined();
        expect(await store.readHistory('tenant-a', 'Task', 'same', { count: 10 })).toHaveLength(1);
        const found = await store.search('tenant-a', {
          resourceType: 'Task',
          filters: [{ kind: 'reference', param: 'owner', values: ['Organization/a'] }],
          total: 'accurate',
        });
        expect(found.total).toBe(1);
        expect(found.versions[0].resource).toMatchObject({ status: 'requested' });
        expect(await store.readMany('tenant-c', ['Task/same'])).toEqual([]);
        await store.deleteResource('tenant-a', 'Task', 'same');
        expect((await store.readResource('tenant-b', 'Task', 'same'))?.deleted).toBe(false);
      });
    });

    describe('transactions', () => {
      it('rolls back every write when the function throws', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.createResource('t1', task('rolled', 'requested', { owner: { reference: 'Organization/x' } }));
            await tx.enqueue({ destination: 'ehr', orderingKey: 'Task/rolled', reason: 'created', payload: {} });
            await tx.compareAndSetCursor('rolled', undefined, '1');
            await tx.appendAudit('t1', { resourceType: 'AuditEvent' } as AuditEvent);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.readResource('t1', 'Task', 'rolled')).toBeUndefined();
        expect(await store.readHistory('t1', 'Task', 'rolled', { count: 10 })).toEqual([]);
        expect(await store.countOutbox('pending')).toBe(0);
        expect(await store.getCursor('rolled')).toBeUndefined();
        expect(await store.readAudit({ limit: 10 })).toEqual([]);
        const search = await store.search('t1', {
          resourceType: 'Task',
          filters: [{ kind: 'reference', param: 'owner', values: ['Organization/x'] }],
          total: 'accurate',
        });
        expect(search.total).toBe(0);
      });

      it('commits every write together and returns the function result', async () => {
        const result = await store.transaction(async (tx) => {
          await tx.createResource('t1', task('kept'));
          await tx.enqueue({ destination: 'ehr', orderingKey: 'Task/kept', reason: 'created', payload: { n: 1 } });
          return 'done';
        });
        expect(result).toBe('done');
        expect((await store.readResource('t1', 'Task', 'kept'))?.versionId).toBe('1');
        expect(await store.countOutbox('pending')).toBe(1);
      });

      it('creates exactly one resource from 20 parallel conditional creates by identifier', async () => {
        const system = 'urn:oid:1.2.3';
        const ids = await Promise.all(Array.from({ length: 20 }, () => store.transaction((tx) => createPatientOnce(tx, 't1', system, 'MRN-7'))));
        expect(new Set(ids).size).toBe(1);
        const found = await store.search('t1', {
          resourceType: 'Patient',
          filters: [{ kind: 'token', param: 'identifier', values: [{ system, code: 'MRN-7' }] }],
          total: 'accurate',
        });
        expect(found.total).toBe(1);
        expect(found.versions[0].id).toBe(ids[0]);
      });
    });

    describe('outbox', () => {
      const item = (orderingKey: string, n: number) => ({ destination: 'ehr', orderingKey, reason: 'test', payload: { n } });

      it('never gives one item to two concurrent workers', async () => {
        for (let i = 0; i < 30; i++) {
          await store.enqueue(item(`Task/${i}`, i));
        }
        const claimed: string[] = [];
        const worker = async (name: string) => {
          for (;;) {
            const batch = await store.claim(name, 4, 60_000);
            if (batch.length === 0) {
              return;
            }
            claimed.push(...batch.map((b) => b.id));
            for (const b of batch) {
              expect(await store.complete(b.id, name)).toBe(true);
            }
          }
        };
        await Promise.all([worker('w1'), worker('w2'), worker('w3')]);
        expect(claimed).toHaveLength(30);
        expect(new Set(claimed).size).toBe(30);
        expect(await store.countOutbox('done')).toBe(30);
      });

      it('delivers items of one ordering key in order, one at a time', async () => {
        const first = await store.enqueue(item('Task/1', 1));
        const second = await store.enqueue(item('Task/1', 2));
        const other = await store.enqueue(item('Task/2', 1));
        expect(second.seq).toBeGreaterThan(first.seq);
        const batch = await store.claim('w1', 10, 60_000);
        expect(batch.map((b) => b.id)).toEqual([first.id, other.id]);
        expect(batch[0]).toMatchObject({ state: 'in-flight', attempts: 1, payload: { n: 1 } });
        expect(await store.claim('w2', 10, 60_000)).toEqual([]);

        // A retry scheduled later keeps the key blocked until then.
        expect(await store.retry(first.id, 'w1', 'HTTP 503', new Date(Date.now() + 60_000).toISOString())).toBe(true);
        expect(await store.claim('w2', 10, 60_000)).toEqual([]);
        expect(await store.retry(first.id, 'w1', 'again', new Date().toISOString())).toBe(false);
      });

      it('hands an item whose lease expired to another worker, and refuses the old holder', async () => {
        const queued = await store.enqueue(item('Task/lease', 1));
        expect((await store.claim('slow', 1, 40)).map((b) => b.id)).toEqual([queued.id]);
        expect(await store.claim('fast', 1, 60_000)).toEqual([]);
        await sleep(60);
        const again = await store.claim('fast', 1, 60_000);
        expect(again.map((b) => [b.id, b.attempts])).toEqual([[queued.id, 2]]);
        expect(await store.complete(queued.id, 'slow')).toBe(false);
        expect(await store.complete(queued.id, 'fast')).toBe(true);
      });

      it('retries, buries to the dead-letter list and requeues', async () => {
        const queued = await store.enqueue(item('Task/dl', 1));
        const next = await store.enqueue(item('Task/dl', 2));
        await store.claim('w', 1, 60_000);
        expect(await store.retry(queued.id, 'w', 'HTTP 503', new Date(Date.now() - 1).toISOString())).toBe(true);
        const retried = await store.claim('w', 1, 60_000);
        expect(retried[0]).toMatchObject({ id: queued.id, attempts: 2, lastError: 'HTTP 503' });

        const letter = await store.bury(queued.id, 'w', 'HTTP 400 refused');
        expect(letter).toMatchObject({ outboxId: queued.id, error: 'HTTP 400 refused', attempts: 2, payload: { n: 1 } });
        expect(await store.bury(queued.id, 'w', 'again')).toBeUndefined();
        expect(await store.countOutbox('dead')).toBe(1);
        // A dead item no longer blocks its key.
        expect((await store.claim('w', 5, 60_000)).map((b) => b.id)).toEqual([next.id]);

        const letters = await store.listDeadLetters({ limit: 10 });
        expect(letters.map((l) => l.id)).toEqual([letter?.id]);
        const requeued = await store.requeueDeadLetter(letter!.id);
        expect(requeued).toMatchObject({ state: 'pending', attempts: 0, orderingKey: 'Task/dl', payload: { n: 1 } });
        expect(requeued!.id).not.toBe(queued.id);
        expect(await store.requeueDeadLetter(letter!.id)).toBeUndefined();
        expect(await store.listDeadLetters({ limit: 10 })).toEqual([]);
        expect(await store.countOutbox('pending')).toBe(1);
      });

      it('does not claim an item before notBefore', async () => {
        await store.enqueue({ ...item('Task/later', 1), notBefore: new Date(Date.now() + 60_000).toISOString() });
        expect(await store.claim('w', 5, 1000)).toEqual([]);
        expect(await store.countOutbox('pending')).toBe(1);
      });
    });

    describe('cursors and leases', () => {
      it('sets a cursor only from the expected value', async () => {
        expect(await store.getCursor('ehr:Task')).toBeUndefined();
        expect(await store.compareAndSetCursor('ehr:Task', undefined, 'c1')).toBe(true);
        expect(await store.compareAndSetCursor('ehr:Task', undefined, 'c1b')).toBe(false);
        expect(await store.compareAndSetCursor('ehr:Task', 'c1', 'c2')).toBe(true);
        expect(await store.compareAndSetCursor('ehr:Task', 'c1', 'c3')).toBe(false);
        expect(await store.getCursor('ehr:Task')).toBe('c2');
        const racers = await Promise.all(['x', 'y', 'z'].map((v) => store.compareAndSetCursor('ehr:Task', 'c2', v)));
        expect(racers.filter(Boolean)).toHaveLength(1);
      });

      it('fences leases with increasing tokens', async () => {
        const first = await store.acquireLease('poll', 'a', 40);
        expect(first).toMatchObject({ holder: 'a', token: 1 });
        expect(await store.acquireLease('poll', 'b', 40)).toBeUndefined();
        expect((await store.acquireLease('poll', 'a', 40))?.token).toBe(1);
        expect(await store.checkFence('poll', 1)).toBe(true);
        await sleep(60);
        const taken = await store.acquireLease('poll', 'b', 60_000);
        expect(taken).toMatchObject({ holder: 'b', token: 2 });
        expect(await store.checkFence('poll', 1)).toBe(false);
        expect(await store.checkFence('poll', 2)).toBe(true);
        expect(await store.acquireLease('poll', 'a', 40)).toBeUndefined();
        await store.releaseLease('poll', 'b');
        expect(await store.checkFence('poll', 2)).toBe(false);
        expect((await store.acquireLease('poll', 'a', 60_000))?.token).toBe(3);
        const racers = await Promise.all(['r1', 'r2', 'r3'].map((h) => store.acquireLease('race', h, 60_000)));
        expect(racers.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('audit', () => {
      it('appends a hash chain and reads it back in order', async () => {
        const event = (n: number): AuditEvent => ({ resourceType: 'AuditEvent', id: `e${n}` } as AuditEvent);
        const written = await Promise.all([1, 2, 3, 4].map((n) => store.appendAudit(n % 2 ? 't1' : 't2', event(n))));
        expect(written.map((w) => w.seq).sort()).toEqual([1, 2, 3, 4]);
        const records = await store.readAudit({ limit: 10 });
        expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
        expect(findBrokenLink(records)).toBeUndefined();
        expect(records[1].prevHash).toBe(records[0].hash);
        expect((await store.readAudit({ afterSeq: 2, limit: 1 })).map((r) => r.seq)).toEqual([3]);
        const tampered = records.map((r) => (r.seq === 2 ? { ...r, tenant: 'other' } : r));
        expect(findBrokenLink(tampered)).toBe(2);
      });

      it('keeps one unbroken chain when many appends arrive at once, in and out of transactions', async () => {
        const event = (n: number): AuditEvent => ({ resourceType: 'AuditEvent', id: `e${n}` } as AuditEvent);
        const outside = Array.from({ length: 120 }, (_, n) => store.appendAudit(`t${n % 3}`, event(n)));
        // Appends inside transactions, one of them rolled back, interleaved with the grouped ones.
        const inside = [200, 201, 202].map((n) =>
          store.transaction(async (tx) => {
            await tx.appendAudit('tx', event(n));
            if (n === 201) {
              throw new Error('rolled back');
            }
          }),
        );
        const settled = await Promise.allSettled([...outside, ...inside]);
        expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
        const written = settled.slice(0, 120).map((s) => (s as PromiseFulfilledResult<{ seq: number; event: Resource }>).value);
        // Every caller is told the record that holds its event.
        written.forEach((record, n) => expect(record.event.id).toBe(`e${n}`));
        const records = await store.readAudit({ limit: 1000 });
        expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 122 }, (_, i) => i + 1));
        expect(findBrokenLink(records)).toBeUndefined();
        expect(records.map((r) => r.event.id).sort()).toEqual([...Array.from({ length: 120 }, (_, n) => `e${n}`), 'e200', 'e202'].sort());
        for (const record of written) {
          expect(records[record.seq - 1]).toEqual(record);
        }
      });

      it('continues the chain after records written by another writer', async () => {
        await store.appendAudit('t1', { resourceType: 'AuditEvent', id: 'first' } as AuditEvent);
        // Another writer (a transaction here; another process in production) appends meanwhile.
        await store.transaction((tx) => tx.appendAudit('t1', { resourceType: 'AuditEvent', id: 'second' } as AuditEvent));
        const third = await store.appendAudit('t1', { resourceType: 'AuditEvent', id: 'third' } as AuditEvent);
        expect(third.seq).toBe(3);
        const records = await store.readAudit({ limit: 10 });
        expect(records.map((r) => r.event.id)).toEqual(['first', 'second', 'third']);
        expect(findBrokenLink(records)).toBeUndefined();
      });
    });

    describe('partners and credentials', () => {
      it('stores partners and finds, lists and revokes credentials', async () => {
        const createdAt = new Date().toISOString();
        await store.upsertPartner({ id: 'p1', tenant: 't1', name: 'Food bank', organization: 'Organization/fb', mapping: 'referral', settings: { a: 1 }, createdAt });
        await store.upsertPartner({ id: 'p1', tenant: 't1', name: 'Food bank 2', organization: 'Organization/fb', mapping: 'referral', webhookUrl: 'https://fb.example/hook', settings: {}, createdAt });
        expect(await store.getPartner('p1')).toMatchObject({ name: 'Food bank 2', webhookUrl: 'https://fb.example/hook' });
        expect(await store.listPartners()).toHaveLength(1);
        await store.addCredential({ id: 'c1', partnerId: 'p1', kind: 'api-key', secretHash: 'h', lookup: 'abc', scopes: ['referral.read'], createdAt });
        expect(await store.findCredentials('abc')).toMatchObject([{ id: 'c1', scopes: ['referral.read'] }]);
        expect(await store.revokeCredential('c1', createdAt)).toBe(true);
        expect(await store.revokeCredential('c1', createdAt)).toBe(false);
        expect((await store.listCredentials('p1'))[0].revokedAt).toBe(createdAt);
        await expect(
          store.addCredential({ id: 'c2', partnerId: 'nobody', kind: 'api-key', secretHash: 'h', lookup: 'x', scopes: [], createdAt }),
        ).rejects.toThrow();
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

