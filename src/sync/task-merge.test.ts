import type { Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { mergeIntake, planPush, sameContent } from './task-merge.ts';
import { pageCursor } from './poller.ts';

const base: Task = { resourceType: 'Task', id: 't1', status: 'requested', intent: 'order', meta: { versionId: '1' } };
const procedureOutput = { type: { text: 'resulting-activity' }, valueReference: { reference: 'Procedure/p1' } };

describe('planPush', () => {
  it('walks the allowed path one status at a time and adds outputs on the last step', () => {
    const plan = planPush(base, { ...base, status: 'in-progress' }, [procedureOutput]);
    expect(plan.kind).toBe('steps');
    const steps = plan.kind === 'steps' ? plan.steps : [];
    expect(steps.map((s) => s.status)).toEqual(['accepted', 'in-progress']);
    expect(steps[0].output).toBeUndefined();
    expect(steps[1].output).toEqual([procedureOutput]);
  });

  it('has nothing to do when the EHR already holds the change (a repeat after a lost answer)', () => {
    const ehr: Task = { ...base, status: 'accepted', output: [procedureOutput] };
    expect(planPush(ehr, { ...base, status: 'accepted' }, [procedureOutput])).toEqual({ kind: 'none' });
  });

  it('parks a status the state machine cannot reach from the EHR status', () => {
    const plan = planPush({ ...base, status: 'cancelled' }, { ...base, status: 'completed' }, []);
    expect(plan.kind).toBe('park');
    expect(plan.kind === 'park' ? plan.reason : '').toMatch(/cancelled -> completed/);
  });

  it('keeps what the clinician wrote (notes) while setting status', () => {
    const ehr: Task = { ...base, note: [{ text: 'called' }] };
    const plan = planPush(ehr, { ...base, status: 'accepted' }, []);
    expect(plan.kind === 'steps' ? plan.steps.at(-1)?.note : undefined).toEqual([{ text: 'called' }]);
  });
});

describe('mergeIntake', () => {
  it('takes the EHR version but keeps platform outputs', () => {
    const local: Task = { ...base, status: 'accepted', output: [procedureOutput] };
    const merged = mergeIntake({ ...base, status: 'in-progress', note: [{ text: 'n' }] }, local);
    expect(merged.status).toBe('in-progress');
    expect(merged.output).toEqual([procedureOutput]);
    expect(merged.note).toEqual([{ text: 'n' }]);
  });

  it('keeps the platform status when the EHR is behind (the outbox is pushing it)', () => {
    const local: Task = { ...base, status: 'completed', statusReason: { text: 'done' } };
    const merged = mergeIntake({ ...base, status: 'accepted' }, local);
    expect(merged.status).toBe('completed');
    expect(merged.statusReason).toEqual({ text: 'done' });
  });

  it('takes a cancellation from the EHR (the requester may cancel)', () => {
    expect(mergeIntake({ ...base, status: 'cancelled' }, { ...base, status: 'accepted' }).status).toBe('cancelled');
  });

  it('sameContent ignores meta only', () => {
    expect(sameContent({ ...base, meta: { versionId: '9' } }, base)).toBe(true);
    expect(sameContent({ ...base, status: 'accepted' }, base)).toBe(false);
  });
});

describe('pageCursor', () => {
  it('is the query time after the last page, the last lastUpdated before it, never beyond the query time', () => {
    expect(pageCursor('2026-01-01T10:00:00.000Z', '2026-01-01T09:00:00.000Z', false)).toBe('2026-01-01T10:00:00.000Z');
    expect(pageCursor('2026-01-01T10:00:00.000Z', '2026-01-01T09:00:00.000Z', true)).toBe('2026-01-01T09:00:00.000Z');
    expect(pageCursor('2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z', true)).toBe('2026-01-01T10:00:00.000Z');
    expect(pageCursor('2026-01-01T10:00:00.000Z', undefined, true)).toBeUndefined();
  });
});
