// Drift between an open source referral on the platform and the EHR's Task it was taken in
// from, and the repair that is safe for it (pure). RELIABILITY.md: delivery is at-least-once
// and polling may lag, so the two copies can differ for a while; drift that outlives that
// (a lost outbox item, a dead letter replayed too late, a missed poll) is found here.
// - missing: the EHR no longer has the Task; nothing is repaired (a person decides).
// - version-behind: the EHR holds a newer version than the one last taken in; repair: take
//   it in now, on the polling path (the state machine decides what of it applies).
// - status-behind-on-ehr: the platform's status is reachable from the EHR's along allowed
//   transitions (a change not yet pushed); repair: queue a push (the deliverer walks the path
//   with If-Match).
// - status-ahead-on-ehr: the EHR's status is reachable from the platform's (a clinician's
//   change not yet taken in); repair: take it in.
// - status-diverged: neither is reachable from the other; nothing is repaired, since pushing
//   would overwrite an EHR state the state machine does not allow to change that way.
// - outcomes-missing: the platform's Task has more outcome Procedures than the EHR's; repair:
//   queue a push (outcomes are created on the EHR by conditional create, never twice), unless
//   the statuses diverged.
import type { Task } from '@medplum/fhirtypes';
import { isReferralTaskStatus, transitionPath } from '../workflow/task-status.ts';

export const DRIFT_KINDS = ['missing', 'version-behind', 'status-behind-on-ehr', 'status-ahead-on-ehr', 'status-diverged', 'outcomes-missing'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export type Repair = 'intake' | 'push';

export interface Drift {
  kinds: DriftKind[];
  repairs: Repair[];
}

/** Outcome Procedures a Task's outputs point at. */
export function outcomeCount(task: Task): number {
  return (task.output ?? []).filter((o) => /^(.*\/)?Procedure\/[A-Za-z0-9\-.]{1,64}$/.test(o.valueReference?.reference ?? '')).length;
}

/**
 * Compares the platform's open referral `local` (whose EHR version tag says `takenInVersion`)
 * with the EHR's current Task (undefined when the EHR no longer has it).
 */
export function compareReferral(local: Task, ehr: Task | undefined, takenInVersion: string): Drift {
  if (!ehr) {
    return { kinds: ['missing'], repairs: [] };
  }
  const kinds: DriftKind[] = [];
  if ((ehr.meta?.versionId ?? '') !== takenInVersion) {
    kinds.push('version-behind');
  }
  const from = ehr.status;
  const to = local.status;
  let diverged = false;
  if (from !== to) {
    if (isReferralTaskStatus(from) && isReferralTaskStatus(to) && transitionPath(from, to)) {
      kinds.push('status-behind-on-ehr');
    } else if (isReferralTaskStatus(from) && isReferralTaskStatus(to) && transitionPath(to, from)) {
      kinds.push('status-ahead-on-ehr');
    } else {
      kinds.push('status-diverged');
      diverged = true;
    }
  }
  if (outcomeCount(local) > outcomeCount(ehr)) {
    kinds.push('outcomes-missing');
  }
  const repairs: Repair[] = [];
  if (kinds.includes('version-behind') || kinds.includes('status-ahead-on-ehr')) {
    repairs.push('intake');
  }
  if (!diverged && (kinds.includes('status-behind-on-ehr') || kinds.includes('outcomes-missing'))) {
    repairs.push('push');
  }
  return { kinds, repairs };
}
