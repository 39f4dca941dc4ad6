import type { Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { compareReferral, outcomeCount } from './reconcile-drift.ts';

const base: Task = { resourceType: 'Task', id: 'local', status: 'requested', intent: 'order', meta: { versionId: '3' } };
const ehr = (status: Task['status'], versionId = '3', extra: Partial<Task> = {}): Task => ({ ...base, id: 'e1', status, meta: { versionId }, ...extra });
const outcome = (id: string) => ({ type: { text: 'resulting-activity' }, valueReference: { reference: `Procedure/${id}` } });

describe('compareReferral', () => {
  it('finds nothing when the EHR holds the version taken in and the same status', () => {
    expect(compareReferral(base, ehr('requested'), '3')).toEqual({ kinds: [], repairs: [] });
  });

  it('reports a missing EHR Task without a repair', () => {
    expect(compareReferral(base, undefined, '3')).toEqual({ kinds: ['missing'], repairs: [] });
  });

  it('pushes when the platform is ahead along allowed transitions', () => {
    expect(compareReferral({ ...base, status: 'in-progress' }, ehr('requested'), '3')).toEqual({ kinds: ['status-behind-on-ehr'], repairs: ['push'] });
  });

  it('takes in when the EHR is ahead or newer', () => {
    expect(compareReferral(base, ehr('cancelled', '4'), '3')).toEqual({ kinds: ['version-behind', 'status-ahead-on-ehr'], repairs: ['intake'] });
    expect(compareReferral(base, ehr('requested', '4'), '3')).toEqual({ kinds: ['version-behind'], repairs: ['intake'] });
  });

  it('never pushes over a diverged status, outcomes included', () => {
    const local: Task = { ...base, status: 'accepted', output: [outcome('p1')] };
    expect(compareReferral(local, ehr('rejected'), '3')).toEqual({ kinds: ['status-diverged', 'outcomes-missing'], repairs: [] });
  });

  it('pushes missing outcomes when the statuses agree', () => {
    const local: Task = { ...base, status: 'completed', output: [outcome('p1'), outcome('p2')] };
    expect(compareReferral(local, ehr('completed', '3', { output: [outcome('e9')] }), '3')).toEqual({ kinds: ['outcomes-missing'], repairs: ['push'] });
    expect(outcomeCount({ ...base, output: [outcome('p1'), { type: { text: 'note' }, valueString: 'x' }] })).toBe(1);
  });
});
