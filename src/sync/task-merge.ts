// Pure merging of the two copies of a source referral Task: the EHR's (the requester's
// system of record) and the platform's (which carries what the performing organisations
// reported). SDOHCC STU3 TaskForReferralManagement "Status Management": the requester sets
// requested/cancelled, the owner the rest; the platform relays the owner's changes.
// - Taking in (poller): everything comes from the EHR except `output` (produced on the
//   platform side) and a status the state machine cannot reach from the platform's status
//   (the platform is ahead; the outbox is pushing it to the EHR).
// - Pushing (deliverer): status, statusReason, businessStatus and new outputs go onto the
//   EHR's current version, one allowed transition at a time.
import type { Task, TaskOutput } from '@medplum/fhirtypes';
import { deepEqual } from '../workflow/resource-diff.ts';
import { isAllowedTransition, isReferralTaskStatus, transitionPath, type ReferralTaskStatus } from '../workflow/task-status.ts';

const OWNER_FIELDS = ['status', 'statusReason', 'businessStatus'] as const;

/** The platform's new Task from the EHR's (references already made local), given its current one. */
export function mergeIntake(fromEhr: Task, local: Task | undefined): Task {
  if (!local) {
    return fromEhr;
  }
  const merged: Task = { ...fromEhr };
  setOrDelete(merged, 'output', local.output);
  const from = local.status;
  const to = fromEhr.status;
  if (from !== to && !(isReferralTaskStatus(from) && isReferralTaskStatus(to) && isAllowedTransition(from, to))) {
    for (const field of OWNER_FIELDS) {
      setOrDelete(merged, field, local[field]);
    }
  }
  return merged;
}

/** Same content, meta aside (versions, tags). */
export function sameContent(a: Task, b: Task): boolean {
  const { meta: _a, ...restA } = a;
  const { meta: _b, ...restB } = b;
  return deepEqual(restA, restB);
}

export type PushPlan = { kind: 'none' } | { kind: 'steps'; steps: Task[] } | { kind: 'park'; reason: string };

/**
 * The EHR versions to write, in order, so that the EHR's Task carries the platform's status,
 * statusReason, businessStatus and outputs (`outputs` already point at EHR resources).
 * Intermediate statuses of the shortest allowed path come first; a status the state machine
 * cannot reach from the EHR's is parked for a person to decide.
 */
export function planPush(ehrTask: Task, local: Task, outputs: readonly TaskOutput[]): PushPlan {
  const target: Task = { ...ehrTask };
  for (const field of OWNER_FIELDS) {
    setOrDelete(target, field, local[field]);
  }
  const existing = ehrTask.output ?? [];
  const added = outputs.filter((o) => !existing.some((e) => deepEqual(e, o)));
  setOrDelete(target, 'output', existing.length + added.length ? [...existing, ...added] : undefined);
  if (deepEqual(target, ehrTask)) {
    return { kind: 'none' };
  }
  const from = ehrTask.status;
  const to = target.status;
  if (from === to) {
    return { kind: 'steps', steps: [target] };
  }
  if (!isReferralTaskStatus(from) || !isReferralTaskStatus(to)) {
    return { kind: 'park', reason: 'the EHR Task status is not a referral Task status' };
  }
  const path = transitionPath(from, to);
  if (!path) {
    return { kind: 'park', reason: `SDOHCC task transition ${from} -> ${to} is not allowed on the EHR's current Task` };
  }
  const steps = path.slice(0, -1).map((status: ReferralTaskStatus) => stepTask(ehrTask, status));
  return { kind: 'steps', steps: [...steps, target] };
}

/** An intermediate version: only the status moves (reasons belong to the final status). */
function stepTask(ehrTask: Task, status: ReferralTaskStatus): Task {
  const step: Task = { ...ehrTask, status };
  delete step.statusReason;
  return step;
}

function setOrDelete<K extends keyof Task>(task: Task, key: K, value: Task[K] | undefined): void {
  if (value === undefined) {
    delete task[key];
  } else {
    task[key] = value;
  }
}
