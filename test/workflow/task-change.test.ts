// Owner field-change rules, statusReason rules, creation and open-task claims
// (SDOHCC STU3 TaskForReferralManagement: "Status Management", Task.statusReason comment,
// Task.owner requirements).
import type { Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { PLATFORM, party } from '../../src/workflow/actor.ts';
import { checkTaskChange } from '../../src/workflow/task-change.ts';

const requester = party('Organization/clinic-1');
const owner = party('Organization/cbo-1');

function base(overrides: Partial<Task> = {}): Task {
  return {
    resourceType: 'Task',
    id: 't1',
    meta: { versionId: '3', lastUpdated: '2026-01-05T10:00:00Z' },
    status: 'accepted',
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: 'ServiceRequest/sr-1' },
    for: { reference: 'Patient/p-1' },
    authoredOn: '2026-01-05T10:00:00Z',
    requester: { reference: 'Organization/clinic-1' },
    owner: { reference: 'Organization/cbo-1' },
    ...overrides,
  };
}

function errorTexts(before: Task | undefined, after: Task, actor = owner): string[] {
  return checkTaskChange(before, after, actor)
    .filter((i) => i.severity === 'error')
    .map((i) => i.details?.text ?? '');
}

// Table of owner edits: element changed -> allowed?
const OWNER_EDITS: { element: string; change: Partial<Task>; allowed: boolean }[] = [
  { element: 'status', change: { status: 'in-progress' }, allowed: true },
  { element: 'statusReason', change: { statusReason: { text: 'waiting for documents' } }, allowed: true },
  { element: 'output', change: { output: [{ type: { text: 'x' }, valueReference: { reference: 'Procedure/p1' } }] }, allowed: true },
  { element: 'lastModified', change: { lastModified: '2026-01-06T10:00:00Z' }, allowed: true },
  { element: 'meta', change: { meta: { versionId: '4', lastUpdated: '2026-01-06T10:00:00Z' } }, allowed: true },
  { element: 'priority', change: { priority: 'urgent' }, allowed: false },
  { element: 'focus', change: { focus: { reference: 'ServiceRequest/other' } }, allowed: false },
  { element: 'for', change: { for: { reference: 'Patient/p-2' } }, allowed: false },
  { element: 'owner', change: { owner: { reference: 'Organization/cbo-2' } }, allowed: false },
  { element: 'requester', change: { requester: { reference: 'Organization/cbo-1' } }, allowed: false },
  { element: 'note', change: { note: [{ text: 'a note' }] }, allowed: false },
  { element: 'businessStatus', change: { businessStatus: { text: 'x' } }, allowed: false },
  { element: 'input', change: { input: [{ type: { text: 'x' }, valueString: 'y' }] }, allowed: false },
];

describe('owner may change only status, statusReason and output', () => {
  it.each(OWNER_EDITS)('owner changes $element: allowed=$allowed', ({ element, change, allowed }) => {
    const texts = errorTexts(base(), base(change));
    if (allowed) {
      expect(texts).toEqual([]);
    } else {
      expect(texts).toEqual([`SDOHCC task owner change: the owner may change only status, statusReason and output, not ${element}`]);
      const issue = checkTaskChange(base(), base(change), owner).find((i) => i.severity === 'error');
      expect(issue?.expression).toEqual([`Task.${element}`]);
    }
  });

  it('collects every forbidden element in one answer', () => {
    const texts = errorTexts(base(), base({ priority: 'urgent', note: [{ text: 'n' }], status: 'requested' }));
    expect(texts).toHaveLength(3);
    expect(texts[0]).toBe('SDOHCC task transition: accepted -> requested is not allowed');
  });

  it('does not restrict the requester or the platform to those elements', () => {
    expect(errorTexts(base(), base({ priority: 'urgent', note: [{ text: 'n' }] }), requester)).toEqual([]);
    expect(errorTexts(base(), base({ priority: 'urgent' }), PLATFORM)).toEqual([]);
  });

  it('counts an identical deep copy (other key order) as unchanged', () => {
    const after = JSON.parse(JSON.stringify(base())) as Task;
    const reordered = Object.fromEntries(Object.entries(after).reverse()) as unknown as Task;
    expect(errorTexts(base(), reordered)).toEqual([]);
  });
});

describe('statusReason', () => {
  it('requires statusReason.text whenever statusReason is present', () => {
    const after = base({ status: 'on-hold', statusReason: { coding: [{ code: 'x' }] } });
    const issues = checkTaskChange(base(), after, owner).filter((i) => i.severity === 'error');
    expect(issues.map((i) => i.details?.text)).toEqual(['SDOHCC task statusReason: statusReason.text is required when statusReason is present']);
    expect(issues[0].expression).toEqual(['Task.statusReason.text']);
  });

  it('rejects a blank text', () => {
    expect(errorTexts(base(), base({ statusReason: { text: '  ' } }))).toHaveLength(1);
  });

  it.each(['rejected', 'cancelled', 'on-hold', 'failed'] as const)('warns (does not refuse) when %s comes without a reason', (status) => {
    const before = base({ status: status === 'rejected' ? 'requested' : 'accepted' });
    const issues = checkTaskChange(before, base({ status }), owner);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(issues.filter((i) => i.severity === 'warning').map((i) => i.expression)).toEqual([['Task.statusReason']]);
  });

  it.each(['in-progress', 'completed'] as const)('expects no reason for %s', (status) => {
    expect(checkTaskChange(base(), base({ status }), owner)).toEqual([]);
  });
});

describe('creation and claims', () => {
  it('lets the requester create a requested or draft Task', () => {
    expect(errorTexts(undefined, base({ status: 'requested' }), requester)).toEqual([]);
    expect(errorTexts(undefined, base({ status: 'draft' }), requester)).toEqual([]);
  });

  it('refuses creation by the owner and creation in a later status', () => {
    expect(errorTexts(undefined, base({ status: 'requested' }), owner)).toEqual(['SDOHCC task creation: only the requester may create a referral Task']);
    expect(errorTexts(undefined, base({ status: 'completed' }), requester)).toEqual([
      'SDOHCC task creation: a referral Task starts as draft or requested, not completed',
    ]);
  });

  it('refuses a status outside SDOHCC-ValueSetReferralTaskStatus', () => {
    const issues = checkTaskChange(base({ status: 'requested' }), base({ status: 'received' }), owner);
    expect(issues.map((i) => i.details?.text)).toEqual(["SDOHCC task status: 'received' is not in SDOHCC-ValueSetReferralTaskStatus"]);
  });

  it('lets an organisation claim an open Task by accepting it as owner', () => {
    const open = base({ status: 'requested', owner: undefined });
    expect(errorTexts(open, base({ status: 'accepted' }))).toEqual([]);
  });

  it('does not let an organisation claim a Task for someone else', () => {
    const open = base({ status: 'requested', owner: undefined });
    expect(errorTexts(open, base({ status: 'accepted', owner: { reference: 'Organization/cbo-9' } }))).toEqual([
      'SDOHCC task update: only the requester or the owner may change a referral Task',
    ]);
  });

  it('matches absolute and relative references of the same organisation', () => {
    const actor = party('https://gateway.example.org/fhir/Organization/cbo-1');
    expect(errorTexts(base(), base({ status: 'in-progress' }), actor)).toEqual([]);
  });
});

describe('assertTaskChange', () => {
  it('throws a 422 OperationOutcome naming the rule', async () => {
    const { assertTaskChange } = await import('../../src/workflow/task-change.ts');
    const { OperationOutcomeError, statusOf } = await import('../../src/fhir/index.ts');
    let caught: unknown;
    try {
      assertTaskChange(base({ status: 'requested' }), base({ status: 'completed' }), owner);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OperationOutcomeError);
    const o = (caught as InstanceType<typeof OperationOutcomeError>).outcome;
    expect(statusOf(o)).toBe(422);
    expect(o.issue?.[0].details?.text).toBe('SDOHCC task transition: requested -> completed is not allowed');
    expect(assertTaskChange(base(), base({ status: 'on-hold' }), owner).map((i) => i.severity)).toEqual(['warning']);
  });
});
