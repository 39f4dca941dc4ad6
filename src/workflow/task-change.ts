// Checks one write of a referral Task against the SDOHCC STU3 rules
// (StructureDefinition-SDOHCC-TaskForReferralManagement, "Status Management" and the
// Task.statusReason / Task.owner comments). Returns every issue found; an error issue means
// the write is refused with 422 (outcome kind `unprocessable`, code `business-rule`).
import type { OperationOutcomeIssue, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { issue, outcome } from '../fhir/outcomes.ts';
import { type Actor, type ActorRole, describeActor, rolesOf } from './actor.ts';
import { changedElements } from './resource-diff.ts';
import { sameTarget } from './references.ts';
import {
  INITIAL_STATUSES,
  REASON_EXPECTED,
  type ReferralTaskStatus,
  isAllowedTransition,
  isReferralTaskStatus,
  setterOf,
} from './task-status.ts';

/**
 * Elements the owner may change: status, statusReason and output (IG: "the owner may change
 * only status, statusReason and output"), plus `lastModified`, which records when the owner
 * changed the Task (FHIR R4 Task.lastModified) and carries no clinical content.
 */
export const OWNER_MUTABLE_ELEMENTS: readonly string[] = ['status', 'statusReason', 'output', 'lastModified'];

function rule(text: string, expression: string): OperationOutcomeIssue {
  return issue('error', 'business-rule', text, expression);
}

/**
 * The owner claim of an open Task: SDOHCC Task.owner requirements ("a task created without
 * an owner so that one of a potential group of performers can elect to own the task").
 */
function isClaim(before: Task, after: Task, actor: Actor): boolean {
  return (
    actor.kind === 'party' &&
    before.owner?.reference === undefined &&
    after.owner?.reference !== undefined &&
    actor.references.some((r) => sameTarget(r, after.owner?.reference))
  );
}

function mayActorSet(status: ReferralTaskStatus, actor: Actor, roles: Set<ActorRole>): boolean {
  if (actor.kind === 'platform') {
    return true;
  }
  const setter = setterOf(status);
  if (setter === 'either') {
    return roles.size > 0;
  }
  return roles.has(setter);
}

function statusIssues(after: Task): OperationOutcomeIssue[] {
  if (!isReferralTaskStatus(after.status)) {
    return [rule(`SDOHCC task status: '${String(after.status)}' is not in SDOHCC-ValueSetReferralTaskStatus`, 'Task.status')];
  }
  return [];
}

/** Task.statusReason: text required when present (profile min 1), expected for some statuses (comment). */
function statusReasonIssues(before: Task | undefined, after: Task): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const reason = after.statusReason;
  if (reason !== undefined && !reason.text?.trim()) {
    issues.push(rule('SDOHCC task statusReason: statusReason.text is required when statusReason is present', 'Task.statusReason.text'));
  }
  const statusChanged = before === undefined || before.status !== after.status;
  if (statusChanged && isReferralTaskStatus(after.status) && REASON_EXPECTED.includes(after.status) && reason === undefined) {
    issues.push(
      issue('warning', 'business-rule', `SDOHCC task statusReason: statusReason.text should be given when the status is ${after.status}`, 'Task.statusReason'),
    );
  }
  return issues;
}

function createIssues(after: Task, actor: Actor): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const roles = rolesOf(after, actor);
  if (actor.kind === 'party' && !roles.has('requester')) {
    issues.push(rule('SDOHCC task creation: only the requester may create a referral Task', 'Task.requester'));
  }
  if (isReferralTaskStatus(after.status) && !INITIAL_STATUSES.includes(after.status)) {
    issues.push(rule(`SDOHCC task creation: a referral Task starts as draft or requested, not ${after.status}`, 'Task.status'));
  }
  return issues;
}

function updateIssues(before: Task, after: Task, actor: Actor): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const claim = isClaim(before, after, actor);
  const roles = rolesOf(before, actor);
  if (claim) {
    roles.add('owner');
  }
  if (actor.kind === 'party' && roles.size === 0) {
    return [rule('SDOHCC task update: only the requester or the owner may change a referral Task', 'Task')];
  }
  const from = before.status;
  const to = after.status;
  if (from !== to && isReferralTaskStatus(from) && isReferralTaskStatus(to)) {
    if (!isAllowedTransition(from, to)) {
      issues.push(rule(`SDOHCC task transition: ${from} -> ${to} is not allowed`, 'Task.status'));
    } else if (!mayActorSet(to, actor, roles)) {
      const setter = setterOf(to);
      issues.push(
        rule(
          `SDOHCC task transition: ${from} -> ${to} is set by the ${setter === 'either' ? 'requester or the owner' : setter}, not by ${describeActor(actor, roles)}`,
          'Task.status',
        ),
      );
    }
  }
  // The owner (Responder) may change only status, statusReason and output.
  if (actor.kind === 'party' && roles.has('owner') && !roles.has('requester')) {
    const allowed = claim ? [...OWNER_MUTABLE_ELEMENTS, 'owner'] : OWNER_MUTABLE_ELEMENTS;
    for (const element of changedElements(before, after)) {
      if (!allowed.includes(element)) {
        issues.push(rule(`SDOHCC task owner change: the owner may change only status, statusReason and output, not ${element}`, `Task.${element}`));
      }
    }
  }
  return issues;
}

/**
 * All issues with writing `after` over `before` (undefined for a create) by `actor`.
 * Errors refuse the write (422); warnings are advice to return with the success.
 */
export function checkTaskChange(before: Task | undefined, after: Task, actor: Actor): OperationOutcomeIssue[] {
  const issues = [...statusIssues(after)];
  issues.push(...(before === undefined ? createIssues(after, actor) : updateIssues(before, after, actor)));
  issues.push(...statusReasonIssues(before, after));
  return issues;
}

/**
 * Throws the 422 OperationOutcome (kind `unprocessable`, every issue kept) when the change
 * breaks a rule; returns the warnings otherwise, for the caller to pass on.
 */
export function assertTaskChange(before: Task | undefined, after: Task, actor: Actor): OperationOutcomeIssue[] {
  const issues = checkTaskChange(before, after, actor);
  if (issues.some((i) => i.severity === 'error')) {
    throw new OperationOutcomeError(outcome('unprocessable', issues));
  }
  return issues;
}
