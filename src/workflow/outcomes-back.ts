// Closing the loop (SDOHCC STU3 indirect exchange, Task.output slice
// PerformedActivityReference): the Procedures a target reports on its downstream Task are
// copied back beside the source Task, their references rewritten from the gateway's
// resources (downstream ServiceRequest, local copies) to the source's originals, and the
// source Task gets matching outputs of type resulting-activity.
import type { OperationOutcomeIssue, Procedure, Task, TaskOutput } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { type PlatformContext, type SourceReferral, planLocalCopies, sameBase, serviceRequestBase } from './local-copies.ts';
import { rewriteReferences } from './reference-rewrite.ts';
import { deepEqual } from './resource-diff.ts';
import { absoluteUrl, deterministicId, isAbsolute, parseReference, toAbsolute } from './references.ts';
import { PROFILE, RESULTING_ACTIVITY, TEMPORARY_CODES, hasCode } from './sdohcc.ts';

export interface OutcomesBack {
  /** Procedure copies, to be stored on the server holding the source Task. */
  procedures: Procedure[];
  /** The source Task with the resulting-activity outputs added (the same object when none were new). */
  task: Task;
  issues: OperationOutcomeIssue[];
}

function isResultingActivity(output: TaskOutput): boolean {
  return hasCode(output.type, TEMPORARY_CODES, 'resulting-activity');
}

export function copyOutcomesBack(
  source: SourceReferral,
  downstreamTask: Task,
  procedures: readonly Procedure[],
  ctx: PlatformContext,
): OutcomesBack {
  const sourceBase = source.taskBase ?? ctx.baseUrl;
  const srBase = serviceRequestBase(source) ?? ctx.baseUrl;
  const originals = new Map(planLocalCopies(source, ctx).map((e) => [absoluteUrl(ctx.baseUrl, e.resourceType, e.localId), e.original]));
  const downstreamSr = downstreamTask.focus?.reference ? toAbsolute(downstreamTask.focus.reference, ctx.baseUrl) : undefined;
  const sourceSr = absoluteUrl(srBase, 'ServiceRequest', source.serviceRequest.id ?? '');

  // As seen from the source Task's server: relative when there, absolute otherwise.
  const fromSourceServer = (abs: string): string => {
    const parsed = parseReference(abs);
    return parsed && isAbsolute(abs) && sameBase(parsed.base, sourceBase) ? `${parsed.resourceType}/${parsed.id}` : abs;
  };
  const mapRef = (ref: string): string => {
    const abs = toAbsolute(ref, ctx.baseUrl);
    if (abs === downstreamSr) {
      return fromSourceServer(sourceSr);
    }
    return fromSourceServer(originals.get(abs) ?? abs);
  };

  const copies: Procedure[] = [];
  const outputs: TaskOutput[] = [];
  const issues: OperationOutcomeIssue[] = [];
  (downstreamTask.output ?? []).forEach((output, index) => {
    if (!isResultingActivity(output)) {
      return;
    }
    if (output.valueCodeableConcept) {
      outputs.push({ type: RESULTING_ACTIVITY, valueCodeableConcept: output.valueCodeableConcept });
      return;
    }
    const ref = output.valueReference?.reference;
    const target = ref ? toAbsolute(ref, ctx.baseUrl) : undefined;
    const procedure = procedures.find((p) => p.id !== undefined && target === absoluteUrl(ctx.baseUrl, 'Procedure', p.id));
    if (!procedure || !target) {
      issues.push(
        issue('warning', 'not-found', 'SDOHCC outcome copy: the Procedure named by a downstream output is not available', `Task.output[${index}].value.ofType(Reference)`),
      );
      return;
    }
    const id = deterministicId('outcome', target);
    copies.push({
      ...rewriteReferences(procedure, mapRef),
      id,
      meta: { profile: [PROFILE.procedure], source: target },
    });
    outputs.push({ type: RESULTING_ACTIVITY, valueReference: { reference: `Procedure/${id}` } });
  });

  const existing = source.task.output ?? [];
  const added = outputs.filter((o) => !existing.some((e) => deepEqual(e, o)));
  const task = added.length > 0 ? { ...source.task, output: [...existing, ...added] } : source.task;
  return { procedures: copies, task, issues };
}
