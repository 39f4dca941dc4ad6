// SDOHCC STU3 intermediary rule refer-2 (SDOHCC.md "What the IG requires of an
// intermediary"): for each target organisation, a downstream ServiceRequest
// (intent filler-order, basedOn the source ServiceRequest) and a downstream Task (partOf the
// source Task, intent order, code fulfill, owner the target). References across servers are
// absolute. Ids derive from the source Task, the target and the attempt, so a repeated
// run builds the same resources.
import type { OperationOutcomeIssue, Organization, Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { type PlatformContext, type SourceReferral, planLocalCopies, sameBase, serviceRequestBase, toLocalCopy } from './local-copies.ts';
import { rewriteReferences } from './reference-rewrite.ts';
import { absoluteUrl, deterministicId, isAbsolute, parseReference, sameTarget, toAbsolute } from './references.ts';
import { PROFILE, TASK_CODE_FULFILL } from './sdohcc.ts';
import { isReferralTaskStatus, isTerminal } from './task-status.ts';

export interface DownstreamPair {
  serviceRequest: ServiceRequest;
  task: Task;
}

export interface DownstreamOptions {
  /** Numbered from 1; a second referral of the same source to the same target is attempt 2. */
  attempt?: number;
}

/** How the gateway refers to a resource on `base` (relative when it is the gateway itself). */
function referenceFromGateway(base: string | undefined, resourceType: string, id: string, ctx: PlatformContext): string {
  if (base === undefined || sameBase(base, ctx.baseUrl)) {
    return `${resourceType}/${id}`;
  }
  return absoluteUrl(base, resourceType, id);
}

/** Stable key of the source Task: its absolute URL. */
export function sourceTaskUrl(source: SourceReferral, ctx: PlatformContext): string {
  return absoluteUrl(source.taskBase ?? ctx.baseUrl, 'Task', source.task.id ?? '');
}

export function downstreamIds(source: SourceReferral, target: Reference<Organization>, ctx: PlatformContext, attempt = 1): { serviceRequestId: string; taskId: string } {
  const key = [sourceTaskUrl(source, ctx), toAbsolute(target.reference ?? '', ctx.baseUrl), String(attempt)];
  return { serviceRequestId: deterministicId('dsr', ...key), taskId: deterministicId('dtask', ...key) };
}

/** The downstream ServiceRequest + Task for one target organisation. */
export function buildDownstreamReferral(
  source: SourceReferral,
  target: Reference<Organization>,
  ctx: PlatformContext,
  now: string,
  options: DownstreamOptions = {},
): DownstreamPair {
  const { task: srcTask, serviceRequest: srcSr } = source;
  const ids = downstreamIds(source, target, ctx, options.attempt ?? 1);
  const srBase = serviceRequestBase(source);
  const local = toLocalCopy(planLocalCopies(source, ctx));
  // Point every reference of the copied ServiceRequest at the local copies (refer-1).
  const toGateway = (ref: string, base: string | undefined): string => {
    const abs = toAbsolute(ref, base);
    const copy = local(abs);
    if (copy) {
      return copy;
    }
    const parsed = parseReference(abs);
    return parsed && isAbsolute(abs) && sameBase(parsed.base, ctx.baseUrl) ? `${parsed.resourceType}/${parsed.id}` : abs;
  };
  const body = rewriteReferences(srcSr, (ref) => toGateway(ref, srBase));

  const serviceRequest: ServiceRequest = {
    ...body,
    resourceType: 'ServiceRequest',
    id: ids.serviceRequestId,
    meta: { profile: [PROFILE.serviceRequest] },
    status: 'active',
    intent: 'filler-order',
    basedOn: [{ reference: referenceFromGateway(srBase, 'ServiceRequest', srcSr.id ?? '', ctx) }],
    requester: ctx.organization,
    performer: [target],
    authoredOn: now,
  };
  delete serviceRequest.identifier;
  delete serviceRequest.text;

  const task: Task = {
    resourceType: 'Task',
    id: ids.taskId,
    meta: { profile: [PROFILE.task] },
    partOf: [{ reference: referenceFromGateway(source.taskBase, 'Task', srcTask.id ?? '', ctx) }],
    status: 'requested',
    intent: 'order',
    code: TASK_CODE_FULFILL,
    focus: { reference: `ServiceRequest/${ids.serviceRequestId}` },
    for: { reference: srcTask.for?.reference ? toGateway(srcTask.for.reference, source.taskBase) : toGateway(srcSr.subject.reference ?? '', srBase) },
    authoredOn: now,
    requester: ctx.organization,
    owner: target,
  };
  if (srcTask.priority) {
    task.priority = srcTask.priority;
  }
  return { serviceRequest, task };
}

/** Fan-out: one downstream pair per target organisation (duplicates removed). */
export function buildFanOut(source: SourceReferral, targets: readonly Reference<Organization>[], ctx: PlatformContext, now: string): DownstreamPair[] {
  const seen: string[] = [];
  const pairs: DownstreamPair[] = [];
  for (const target of targets) {
    const ref = target.reference ?? '';
    if (seen.some((s) => sameTarget(s, ref))) {
      continue;
    }
    seen.push(ref);
    pairs.push(buildDownstreamReferral(source, target, ctx, now));
  }
  return pairs;
}

/** Downstream Tasks of this source (partOf the source Task). */
export function downstreamOf(source: SourceReferral, tasks: readonly Task[], ctx: PlatformContext): Task[] {
  const url = sourceTaskUrl(source, ctx);
  return tasks.filter((t) => (t.partOf ?? []).some((p) => p.reference !== undefined && toAbsolute(p.reference, ctx.baseUrl) === url));
}

/**
 * Re-referral after a rejection (or cancellation, failure): a new downstream pair for
 * `target` while the source stays open. Refused when the source is closed or the target
 * already holds an open downstream Task for it.
 */
export function buildReReferral(
  source: SourceReferral,
  existing: readonly Task[],
  target: Reference<Organization>,
  ctx: PlatformContext,
  now: string,
): { pair?: DownstreamPair; issues: OperationOutcomeIssue[] } {
  const status = source.task.status;
  if (isReferralTaskStatus(status) && isTerminal(status)) {
    return { issues: [issue('error', 'business-rule', `SDOHCC re-referral: the source Task is ${status} and can no longer be referred on`, 'Task.status')] };
  }
  const previous = downstreamOf(source, existing, ctx).filter((t) => sameTarget(t.owner?.reference, target.reference));
  const open = previous.find((t) => isReferralTaskStatus(t.status) && !isTerminal(t.status));
  if (open) {
    return { issues: [issue('error', 'business-rule', 'SDOHCC re-referral: the target already holds an open downstream Task for this referral', 'Task.owner')] };
  }
  return { pair: buildDownstreamReferral(source, target, ctx, now, { attempt: previous.length + 1 }), issues: [] };
}
