// Benchmark of the EHR sync engine against the reference EHR over HTTP (issue 7 evidence):
// changed Tasks/s taken in by polling (each with its ServiceRequest and Patient copies, through
// the FHIR API and the coordinator), and updates/s drained from the outbox to the EHR (read,
// If-Match update). SQLite always; PostgreSQL when DATABASE_URL is set.
// Measured on the shared 2-core machine (2026-11-23, 10,000 items, load average about 2):
// SQLite 87 Tasks/s polled, 394 updates/s drained; PostgreSQL 59 Tasks/s, 254 updates/s.
// Both are bound by round trips per Task (about 30 statements in a few transactions for the
// Task, its copies, the coordinator's writes and the audit); on PostgreSQL BEGIN/COMMIT take
// about a third of the database time. With --procedures the reference EHR's conditional create
// (a FHIRPath scan of every Procedure) dominates: 13-16 updates/s at 50 items.
// Run: node bench/sync.ts [--items N] [--procedures] [--store sqlite|postgres]
//   (default 2,000 items; --procedures: each update carries an outcome Procedure; --store: one store only)
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Task } from '@medplum/fhirtypes';
import type { StoreKind } from '../test/support/gateway.ts';
import { EHR_NAME, OWNER, progressLocally, startHarness } from '../test/sync/harness.ts';
import { localIdOf } from '../src/sync/ehr-tags.ts';
import { addStats, emptyStats } from '../src/sync/outbox-worker.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '2000' }, procedures: { type: 'boolean', default: false }, store: { type: 'string' } } });
if (values.store !== undefined && values.store !== 'sqlite' && values.store !== 'postgres') {
  throw new Error('--store must be sqlite or postgres');
}
const withProcedures = values.procedures === true;
const items = Number(values.items);
if (!Number.isInteger(items) || items < 1) {
  throw new Error('--items must be a positive integer');
}

async function seed(h: Awaited<ReturnType<typeof startHarness>>, count: number): Promise<Task[]> {
  const repo = h.ehr.repo;
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const patient = await repo.createResource({ resourceType: 'Patient', identifier: [{ system: 'urn:bench:mrn', value: `b-${i}` }] });
    const sr = await repo.createResource({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '464061000124106' }] },
      subject: { reference: `Patient/${patient.id}` },
    });
    tasks.push(
      await repo.createResource<Task>({
        resourceType: 'Task',
        status: 'requested',
        intent: 'order',
        code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
        focus: { reference: `ServiceRequest/${sr.id}` },
        for: { reference: `Patient/${patient.id}` },
        owner: { reference: OWNER },
      }),
    );
  }
  return tasks;
}

async function run(kind: StoreKind): Promise<void> {
  // The reference EHR answers a page of a search over thousands of Tasks in seconds: allow it.
  const h = await startHarness({ kind, engine: { pageSize: 200, clientOverrides: { maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 500, maxRetryAfterMs: 5_000, timeoutMs: 60_000 } } });
  try {
    const tasks = await seed(h, items);
    const t0 = performance.now();
    const cycle = await h.engine.runOnce();
    const pollMs = performance.now() - t0;
    const poll = cycle.ehrs[0].poll;
    if (poll.applied !== items) {
      throw new Error(`expected ${items} Tasks taken in, got ${poll.applied}`);
    }
    for (const task of tasks) {
      await progressLocally(h.gateway, task.id ?? '', 'accepted', withProcedures);
    }
    const t1 = performance.now();
    // Until nothing is pending: attempts that failed (e.g. a timeout under load) come back after their backoff.
    const drained = emptyStats();
    while ((await h.gateway.store.countOutbox('pending')) + (await h.gateway.store.countOutbox('in-flight')) > 0) {
      addStats(drained, await h.engine.worker.drain());
      await new Promise((r) => setTimeout(r, 10));
    }
    const drainMs = performance.now() - t1;
    if (drained.delivered !== items) {
      throw new Error(`expected ${items} updates delivered, got ${JSON.stringify(drained)}`);
    }
    const check = await h.gateway.store.readResource<Task>(h.gateway.settings.tenant, 'Task', localIdOf(EHR_NAME, 'Task', tasks[0].id ?? ''));
    console.log(
      `${kind}: polled ${items} changed Tasks in ${(pollMs / 1000).toFixed(1)} s = ${((items * 1000) / pollMs).toFixed(0)} Tasks/s (${poll.pages} pages); ` +
        `drained ${items} updates${withProcedures ? ' (each with an outcome Procedure)' : ''} in ${(drainMs / 1000).toFixed(1)} s = ${((items * 1000) / drainMs).toFixed(0)} updates/s (${drained.retried} attempts retried); local copy status ${check?.resource.status}`,
    );
  } finally {
    await h.close();
  }
}

if (values.store !== 'postgres') {
  await run('sqlite');
}
if (values.store !== 'sqlite') {
  if (process.env.DATABASE_URL) {
    await run('postgres');
  } else {
    console.log('postgres skipped: DATABASE_URL is not set');
  }
}
