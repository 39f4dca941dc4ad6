// Keeping the source Task in step with its downstream Tasks (SDOHCC STU3 indirect exchange:
// the intermediary reflects the downstream status on the source Task, through the same
// state machine), and passing a cancellation of the source down.
//
// Summary status of a source over its downstream Tasks (entered-in-error ones ignored), first
// rule that applies:
//   1. any completed                       -> completed (the need was met somewhere)
//   2. any in-progress                     -> in-progress
//   3. any on-hold                         -> on-hold (paused, none working)
//   4. any accepted                        -> accepted
//   5. any requested or draft              -> no change (still waiting for an answer; a
//                                             re-referral after a rejection lands here, so
//                                             the source stays open)
//   6. all rejected                        -> rejected (only when every target declined)
//   7. any failed (rest rejected/cancelled)-> failed
//   8. otherwise (cancelled, rejected mix) -> cancelled
// The source moves only along allowed transitions (several steps when needed, e.g.
// requested -> accepted -> in-progress, each a version of its own so the history is
// complete); a summary it cannot reach (e.g. after it completed) changes nothing.
import type { OperationOutcomeIssue, Task } from '@medplum/fhirtypes';
import { PLATFORM } from './actor.ts';
import { checkTaskChange } from './task-change.ts';
import { type ReferralTaskStatus, isReferralTaskStatus, isTerminal, transitionPath } from './task-status.ts';

export type SummaryStatus = ReferralTaskStatus | 'unchanged';

export function summaryStatus(statuses: readonly ReferralTaskStatus[]): SummaryStatus {
  const live: ReferralTaskStatus[] = statuses.filter((s) => s !== 'entered-in-error');
  if (live.length === 0) {
    return 'unchanged';
  }
  const has = (s: ReferralTaskStatus) => live.includes(s);
  for (const s of ['completed', 'in-progress', 'on-hold', 'accepted'] as const) {
    if (has(s)) {
      return s;
    }
  }
  if (has('requested') || has('draft')) {
    return 'unchanged';
  }
  if (live.every((s) => s === 'rejected')) {
    return 'rejected';
  }
  return has('failed') ? 'failed' : 'cancelled';
}

function updatedAt(task: Task): string {
  return task.meta?.lastUpdated ?? task.lastModified ?? task.authoredOn ?? '';
}

export interface Reflection {
  /** Successive versions to write on the source Task (empty when nothing changes). */
  versions: Task[];
  summary: SummaryStatus;
  issues: OperationOutcomeIssue[];
}

/**
 * What the source Task should become given its downstream Tasks. The statusReason of the
 * most recently updated downstream Task holding the summary status is carried over (the
 * reason applies to the current status only: SDOHCC Task.statusReason comment).
 */
export function reflectOnSource(source: Task, downstream: readonly Task[], now: string): Reflection {
  const statuses = downstream.map((t) => t.status).filter(isReferralTaskStatus);
  const summary = summaryStatus(statuses);
  const from = source.status;
  if (summary === 'unchanged' || !isReferralTaskStatus(from) || summary === from) {
    return { versions: [], summary, issues: [] };
  }
  const path = transitionPath(from, summary);
  if (path === undefined || path.includes('entered-in-error')) {
    return { versions: [], summary, issues: [] };
  }
  const carrier = downstream
    .filter((t) => t.status === summary)
    .sort((a, b) => updatedAt(b).localeCompare(updatedAt(a)))[0];
  const versions: Task[] = [];
  const issues: OperationOutcomeIssue[] = [];
  let previous = source;
  for (const step of path) {
    const next: Task = { ...previous, status: step, lastModified: now };
    delete next.statusReason;
    if (step === summary && carrier?.statusReason) {
      next.statusReason = carrier.statusReason;
    }
    issues.push(...checkTaskChange(previous, next, PLATFORM).filter((i) => i.severity === 'error'));
    versions.push(next);
    previous = next;
  }
  return { versions, summary, issues };
}

/**
 * The requester cancelled (or entered-in-error) the source: every open downstream Task is
 * cancelled by the platform (its requester) with the reason carried down.
 */
export function propagateSourceClosure(source: Task, downstream: readonly Task[], now: string): Task[] {
  if (source.status !== 'cancelled' && source.status !== 'entered-in-error') {
    return [];
  }
  const reason = source.statusReason?.text ? source.statusReason : { text: 'The originating referral was withdrawn' };
  return downstream
    .filter((t) => isReferralTaskStatus(t.status) && !isTerminal(t.status))
    .map((t) => ({ ...t, status: 'cancelled' as const, statusReason: reason, lastModified: now }));
}

