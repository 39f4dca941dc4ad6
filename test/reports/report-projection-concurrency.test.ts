// Two PostgreSQL transactions writing what one report row depends on at the same time: a
// Goal and the CarePlan naming it, a Procedure and the Task naming it. Under read committed
// neither sees the other's uncommitted rows, so without the projection's locks the later
// commit leaves a row built from the older state. The first transaction holds its write open
// until the second has started and waits; after both commit, the rows must reflect both.
import type { CarePlan, Goal, Procedure, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { GOAL_DEFINED_BY } from '../../src/workflow/report/report-facts.ts';
import { RESULTING_ACTIVITY, TASK_CODE_FULFILL } from '../../src/workflow/sdohcc.ts';
import { openTestPostgres, postgresUrl } from '../store/open-test-store.ts';

const databaseUrl = postgresUrl().url;
const PATIENT = { reference: 'Patient/concurrency' };
const PERIOD = { start: '2026-01-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' };

/** Runs `first` in a transaction held open until `second` (started meanwhile) has had time to reach its locks. */
async function interleaved(store: Store, first: (tx: Store) => Promise<unknown>, second: (tx: Store) => Promise<unknown>): Promise<void> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let written: () => void = () => undefined;
  const firstWritten = new Promise<void>((resolve) => {
    written = resolve;
  });
  const one = store.transaction(async (tx) => {
    await first(tx as Store);
    written();
    await held;
  });
  await firstWritten;
  const two = store.transaction(async (tx) => second(tx as Store));
  await new Promise((resolve) => setTimeout(resolve, 300));
  release();
  await Promise.all([one, two]);
}

describe.runIf(databaseUrl)('report projection under concurrent PostgreSQL writers', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestPostgres(databaseUrl as string, { now: () => Date.parse('2026-03-01T10:00:00Z') });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('a Goal written while the plan naming it is written counts in the plan', async () => {
    const goal: Goal & { id: string } = {
      resourceType: 'Goal',
      id: 'race-goal',
      lifecycleStatus: 'active',
      description: { text: 'keep the flat' },
      subject: PATIENT,
      extension: [{ url: GOAL_DEFINED_BY, valueCode: 'client' }],
      achievementStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'achieved' }] },
    };
    const plan: CarePlan & { id: string } = {
      resourceType: 'CarePlan',
      id: 'race-plan',
      status: 'active',
      intent: 'plan',
      subject: PATIENT,
      author: { reference: 'Organization/race-org' },
      goal: [{ reference: 'Goal/race-goal' }],
    };
    await interleaved(
      store,
      (tx) => tx.updateResource('default', goal),
      (tx) => tx.updateResource('default', plan),
    );
    const read = await store.readReportProjection('default', PERIOD);
    expect(read.carePlanSummaries).toHaveLength(1);
    expect(read.carePlanSummaries[0]).toMatchObject({ organization: 'Organization/race-org', goals: 1, clientDefined: true, achieved: 1 });
  });

  it('a Procedure written while the Task naming it is written gives the Task its first service', async () => {
    const procedure: Procedure & { id: string } = { resourceType: 'Procedure', id: 'race-procedure', status: 'completed', subject: PATIENT, performedDateTime: '2026-03-01T12:00:00Z' };
    const task: Task & { id: string } = {
      resourceType: 'Task',
      id: 'race-task',
      status: 'completed',
      intent: 'order',
      code: TASK_CODE_FULFILL,
      for: PATIENT,
      focus: { reference: 'ServiceRequest/race-sr' },
      owner: { reference: 'Organization/race-org' },
      output: [{ type: RESULTING_ACTIVITY, valueReference: { reference: 'Procedure/race-procedure' } }],
    };
    await interleaved(
      store,
      (tx) => tx.updateResource('default', procedure),
      (tx) => tx.updateResource('default', task),
    );
    const read = await store.readReportProjection('default', PERIOD);
    const groups = read.summaryGroups.filter((g) => g.owner === 'Organization/race-org');
    expect(groups).toHaveLength(1);
    // Sent at the store's clock (10:00), first service at 12:00: two hours, the Procedure known.
    expect(groups[0].toFirstService).toEqual([2 * 3_600_000]);
    expect(groups[0].outcomesWithoutProcedure).toBe(0);
  });
});
