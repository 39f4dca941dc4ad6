// Every (from, to, actor) triple of the SDOHCC referral Task state machine. The expected
// answers come from the IG written down once here as data (SDOHCC STU3
// StructureDefinition-SDOHCC-TaskForReferralManagement, "Status Management": state diagram
// and the "Set By" column), never from the code under test.
import type { Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { PLATFORM, party, type Actor } from '../../src/workflow/actor.ts';
import { checkTaskChange } from '../../src/workflow/task-change.ts';

const IG_STATUSES = ['draft', 'requested', 'accepted', 'rejected', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error'] as const;
type S = (typeof IG_STATUSES)[number];

// State diagram, as arrows "from -> to". Any status (but entered-in-error itself) -> entered-in-error.
const IG_ARROWS = `
  draft -> requested
  requested -> accepted
  requested -> rejected
  requested -> cancelled
  accepted -> in-progress
  accepted -> on-hold
  accepted -> cancelled
  accepted -> completed
  accepted -> failed
  in-progress -> completed
  in-progress -> failed
  in-progress -> cancelled
  in-progress -> on-hold
  on-hold -> in-progress
  on-hold -> cancelled
  on-hold -> completed
  on-hold -> failed
`;

// "Set By" column of the IG status table (Responder = owner).
const IG_SET_BY: Record<S, 'Requester' | 'Responder' | 'Requester or Responder'> = {
  draft: 'Requester',
  requested: 'Requester',
  accepted: 'Responder',
  rejected: 'Responder',
  cancelled: 'Requester or Responder',
  'in-progress': 'Responder',
  'on-hold': 'Responder',
  failed: 'Responder',
  completed: 'Responder',
  'entered-in-error': 'Requester',
};

const arrows = new Set(
  IG_ARROWS.trim()
    .split('\n')
    .map((line) => line.trim()),
);
function igAllows(from: S, to: S): boolean {
  if (to === 'entered-in-error') {
    return from !== 'entered-in-error';
  }
  return arrows.has(`${from} -> ${to}`);
}

const CLINIC = 'Organization/clinic-1';
const CBO = 'Organization/cbo-1';
const STRANGER = 'Organization/someone-else';
type ActorName = 'requester' | 'owner' | 'platform' | 'stranger';
const ACTORS: Record<ActorName, Actor> = {
  requester: party(CLINIC, 'PractitionerRole/dr-1'),
  owner: party(`https://cbo.example.org/fhir/${CBO}`),
  platform: PLATFORM,
  stranger: party(STRANGER),
};

function igWhoAllows(to: S, actor: ActorName): boolean {
  if (actor === 'platform') {
    return true;
  }
  if (actor === 'stranger') {
    return false;
  }
  const setBy = IG_SET_BY[to];
  return setBy === 'Requester or Responder' || (setBy === 'Requester' ? actor === 'requester' : actor === 'owner');
}

function task(status: S): Task {
  return {
    resourceType: 'Task',
    id: 't1',
    meta: { versionId: '1' },
    status,
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: 'ServiceRequest/sr-1' },
    for: { reference: 'Patient/p-1' },
    authoredOn: '2026-01-05T10:00:00Z',
    requester: { reference: 'PractitionerRole/dr-1' },
    owner: { reference: CBO },
  };
}

interface Row {
  from: S;
  to: S;
  actor: ActorName;
  expected: 'ok' | 'transition' | 'who' | 'stranger';
}

const rows: Row[] = [];
for (const from of IG_STATUSES) {
  for (const to of IG_STATUSES) {
    for (const actor of Object.keys(ACTORS) as ActorName[]) {
      let expected: Row['expected'];
      if (actor === 'stranger') {
        expected = 'stranger';
      } else if (from === to) {
        expected = 'ok';
      } else if (!igAllows(from, to)) {
        expected = 'transition';
      } else {
        expected = igWhoAllows(to, actor) ? 'ok' : 'who';
      }
      rows.push({ from, to, actor, expected });
    }
  }
}

describe('SDOHCC referral Task state machine: every (from, to, actor)', () => {
  it('covers all 10 x 10 x 4 triples', () => {
    expect(rows).toHaveLength(400);
    expect(rows.filter((r) => r.expected === 'ok' && r.from !== r.to).length).toBeGreaterThan(20);
  });

  it.each(rows)('$from -> $to by $actor: $expected', ({ from, to, actor, expected }) => {
    const before = task(from);
    const after: Task = { ...task(to), meta: { versionId: '2' } };
    if (['rejected', 'cancelled', 'on-hold', 'failed'].includes(to)) {
      after.statusReason = { text: 'reason given' };
    }
    const errors = checkTaskChange(before, after, ACTORS[actor]).filter((i) => i.severity === 'error');
    const texts = errors.map((i) => i.details?.text ?? '');
    switch (expected) {
      case 'ok':
        expect(errors).toEqual([]);
        break;
      case 'transition':
        expect(texts).toEqual([`SDOHCC task transition: ${from} -> ${to} is not allowed`]);
        expect(errors[0].code).toBe('business-rule');
        expect(errors[0].expression).toEqual(['Task.status']);
        break;
      case 'who':
        expect(errors).toHaveLength(1);
        expect(texts[0]).toMatch(new RegExp(`^SDOHCC task transition: ${from} -> ${to} is set by the `));
        expect(errors[0].expression).toEqual(['Task.status']);
        break;
      case 'stranger':
        expect(texts).toEqual(['SDOHCC task update: only the requester or the owner may change a referral Task']);
        break;
    }
  });
});
