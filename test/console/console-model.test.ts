// The console's pure pieces: the PHI-free payload summary, the referral timeline assembled
// from Task histories, outbox items and outcomes, and the profile list.
import type { Procedure, Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { summarizePayload } from '../../src/console/payload-summary.ts';
import { availableProfiles, PROFILE_CHOICES } from '../../src/console/profiles.ts';
import { buildTimeline, taskEvents } from '../../src/console/timeline.ts';
import type { OutboxItemView, StoredVersion } from '../../src/store/store.ts';

function version(id: string, versionId: number, at: string, task: Partial<Task>): StoredVersion<Task> {
  return { resourceType: 'Task', id, versionId: String(versionId), lastUpdated: at, deleted: false, resource: { resourceType: 'Task', id, intent: 'order', status: 'requested', ...task } as Task };
}

describe('payload summary', () => {
  it('keeps technical ids and field types, never values of other fields', () => {
    expect(summarizePayload({ tenant: 'default', resourceType: 'Task', id: 'ehr-1' })).toEqual({ resource: 'Task/ehr-1', tenant: 'default', fields: {} });
    expect(summarizePayload({ tenant: 'food-bank', taskId: 't-9' })).toEqual({ resource: 'Task/t-9', tenant: 'food-bank', fields: {} });
    const withPhi = summarizePayload({ tenant: 'default', patientName: 'Maria Rivera', note: { text: 'lives alone' }, 'weird key!': 1 });
    expect(withPhi).toEqual({ tenant: 'default', fields: { patientName: 'string', note: 'object', '(other fields)': '1' } });
    expect(JSON.stringify(withPhi)).not.toMatch(/Rivera|alone/);
    expect(summarizePayload({ resourceType: 'Task', id: 'has spaces and a name' }).resource).toBeUndefined();
    expect(summarizePayload('free text')).toEqual({ fields: { $: 'string' } });
  });
});

describe('referral timeline', () => {
  const source = [
    version('src', 1, '2026-11-01T10:00:00.000Z', { status: 'requested', owner: { reference: 'Organization/fb' } }),
    version('src', 2, '2026-11-01T11:00:00.000Z', { status: 'requested', note: [{ text: 'a note, not a status change' }] }),
    version('src', 3, '2026-11-02T09:00:00.000Z', { status: 'accepted' }),
    version('src', 4, '2026-11-03T09:00:00.000Z', { status: 'completed', output: [] }),
  ];
  const downstream = [
    version('d1', 1, '2026-11-01T10:00:01.000Z', { status: 'requested' }),
    version('d1', 2, '2026-11-02T08:59:59.000Z', { status: 'accepted', statusReason: { coding: [{ code: 'capacity', display: 'Has capacity' }], text: 'free text is left out' } }),
    version('d1', 3, '2026-11-03T08:59:59.000Z', { status: 'completed' }),
  ];
  const delivery: OutboxItemView = { id: 'o1', seq: 1, destination: 'ehr:main', orderingKey: 'Task/src', reason: 'source-task-changed', state: 'done', attempts: 2, nextAttemptAt: '2026-11-02T09:00:00.000Z', createdAt: '2026-11-02T09:00:00.000Z' };
  const procedure: StoredVersion<Procedure> = { resourceType: 'Procedure', id: 'p1', versionId: '1', lastUpdated: '2026-11-03T09:00:00.000Z', deleted: false, resource: { resourceType: 'Procedure', id: 'p1', status: 'completed', subject: { reference: 'Patient/x' }, code: { coding: [{ code: 'food-pantry', display: 'Food pantry visit' }] }, performedDateTime: '2026-11-02' } };

  it('lists status changes only, oldest first, with both sides, deliveries and outcomes', () => {
    const events = buildTimeline({ source: [...source].reverse(), downstream: [{ taskId: 'd1', organization: 'Organization/fb', versions: downstream }], deliveries: [delivery], outcomes: [procedure] });
    expect(events.map((e) => `${e.side}:${e.status}`)).toEqual([
      'source:requested',
      'downstream:requested',
      'outcome:completed',
      'downstream:accepted',
      'source:accepted',
      'delivery:delivered',
      'downstream:completed',
      'source:completed',
    ]);
    const accepted = events.find((e) => e.side === 'downstream' && e.status === 'accepted');
    expect(accepted).toMatchObject({ subject: 'Task/d1', organization: 'Organization/fb', label: 'status; reason: Has capacity', versionId: '2' });
    expect(JSON.stringify(events)).not.toContain('free text');
    expect(events.find((e) => e.side === 'delivery')).toMatchObject({ subject: 'ehr:main', attempts: 2, label: 'source-task-changed (Task/src)' });
    expect(events.find((e) => e.side === 'outcome')).toMatchObject({ subject: 'Procedure/p1', label: 'Food pantry visit', at: '2026-11-02T00:00:00.000Z' });
  });

  it('skips deleted versions and reports the creation', () => {
    const deleted = { ...version('x', 2, '2026-11-05T00:00:00.000Z', { status: 'cancelled' }), deleted: true };
    const events = taskEvents([version('x', 1, '2026-11-04T00:00:00.000Z', {}), deleted], 'source');
    expect(events.map((e) => e.label)).toEqual(['created']);
  });
});

describe('profile choices', () => {
  it('lists only loaded profiles', () => {
    expect(availableProfiles(() => false)).toEqual([]);
    expect(availableProfiles((url) => url.includes('sdoh-clinicalcare')).every((p) => p.url.includes('sdoh-clinicalcare'))).toBe(true);
    expect(availableProfiles(() => true)).toHaveLength(PROFILE_CHOICES.length);
  });
});
