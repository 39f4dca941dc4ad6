// The referral Task state machine of SDOHCC STU3 (3.0.0), profile
// SDOHCC-TaskForReferralManagement, "Status Management": the allowed transitions (state
// diagram) and who sets each status (table "Set By": Requester / Responder / either).
// Status codes come from SDOHCC-ValueSetReferralTaskStatus: every FHIR task status except
// `ready` and `received`.
import type { Task } from '@medplum/fhirtypes';

export type TaskStatus = Task['status'];

/** SDOHCC-ValueSetReferralTaskStatus (task-status minus ready and received). */
export const REFERRAL_TASK_STATUSES = [
  'draft',
  'requested',
  'accepted',
  'rejected',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
] as const satisfies readonly TaskStatus[];

export type ReferralTaskStatus = (typeof REFERRAL_TASK_STATUSES)[number];

/**
 * SDOHCC Task state diagram. `on-hold` is "started but paused" (IG status table), so an
 * in-progress task may be put on hold and resumed. Any status may become entered-in-error
 * (added in `allowedNext`).
 */
const TRANSITIONS: Readonly<Record<ReferralTaskStatus, readonly ReferralTaskStatus[]>> = {
  draft: ['requested'],
  requested: ['accepted', 'rejected', 'cancelled'],
  accepted: ['in-progress', 'on-hold', 'cancelled', 'completed', 'failed'],
  'in-progress': ['completed', 'failed', 'cancelled', 'on-hold'],
  'on-hold': ['in-progress', 'cancelled', 'completed', 'failed'],
  rejected: [],
  cancelled: [],
  failed: [],
  completed: [],
  'entered-in-error': [],
};

/** Who sets a status, per the IG table "Set By" (Responder = the Task owner). */
export type StatusSetter = 'requester' | 'owner' | 'either';

const SET_BY: Readonly<Record<ReferralTaskStatus, StatusSetter>> = {
  draft: 'requester',
  requested: 'requester',
  accepted: 'owner',
  rejected: 'owner',
  cancelled: 'either',
  'in-progress': 'owner',
  'on-hold': 'owner',
  failed: 'owner',
  completed: 'owner',
  'entered-in-error': 'requester',
};

/** Statuses from which a referral no longer moves (other than to entered-in-error). */
export const TERMINAL_STATUSES: readonly ReferralTaskStatus[] = ['rejected', 'cancelled', 'failed', 'completed', 'entered-in-error'];

/** Statuses a new referral Task may be created with (by its requester). */
export const INITIAL_STATUSES: readonly ReferralTaskStatus[] = ['draft', 'requested'];

/** Statuses for which the IG says statusReason.text "should be included" (Task.statusReason comment). */
export const REASON_EXPECTED: readonly ReferralTaskStatus[] = ['rejected', 'cancelled', 'on-hold', 'failed'];

export function isReferralTaskStatus(value: unknown): value is ReferralTaskStatus {
  return typeof value === 'string' && (REFERRAL_TASK_STATUSES as readonly string[]).includes(value);
}

export function allowedNext(from: ReferralTaskStatus): readonly ReferralTaskStatus[] {
  if (from === 'entered-in-error') {
    return [];
  }
  return [...TRANSITIONS[from], 'entered-in-error'];
}

export function isAllowedTransition(from: ReferralTaskStatus, to: ReferralTaskStatus): boolean {
  return allowedNext(from).includes(to);
}

export function setterOf(status: ReferralTaskStatus): StatusSetter {
  return SET_BY[status];
}

export function isTerminal(status: ReferralTaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The shortest chain of allowed transitions from `from` to `to` (excluding `from`), or
 * undefined when `to` cannot be reached. Used when a downstream Task moved several steps
 * between two observations (e.g. requested -> accepted -> in-progress).
 */
export function transitionPath(from: ReferralTaskStatus, to: ReferralTaskStatus): ReferralTaskStatus[] | undefined {
  if (from === to) {
    return [];
  }
  const previous = new Map<ReferralTaskStatus, ReferralTaskStatus>();
  const queue: ReferralTaskStatus[] = [from];
  while (queue.length > 0) {
    const current = queue.shift() as ReferralTaskStatus;
    // entered-in-error is never an intermediate step of a real life cycle.
    const nexts = TRANSITIONS[current];
    for (const next of nexts) {
      if (next === from || previous.has(next)) {
        continue;
      }
      previous.set(next, current);
      if (next === to) {
        const path: ReferralTaskStatus[] = [to];
        let step = current;
        while (step !== from) {
          path.unshift(step);
          step = previous.get(step) as ReferralTaskStatus;
        }
        return path;
      }
      queue.push(next);
    }
  }
  return to === 'entered-in-error' ? ['entered-in-error'] : undefined;
}
