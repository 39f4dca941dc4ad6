// Report facts from FHIR resources, for the edges (HTTP, CLI) that read them from the store.
// Task histories (SDOHCC TaskForReferralManagement), Procedures, CarePlans and Goal histories
// become the plain records computeReferralReport works on.
import type { CarePlan, Goal, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import { parseReference } from '../references.ts';
import { TEMPORARY_CODES, hasCode } from '../sdohcc.ts';
import { isReferralTaskStatus } from '../task-status.ts';
import type { CarePlanFact, GoalDefiner, GoalFact, ProcedureFact, ReferralFact, TaskVersionFact } from './report-types.ts';
import { GATEWAY_CANONICAL } from './measure-definitions.ts';

/** Extension on Goal saying who defined it (project-wide name), valueCode from goal-definer. */
export const GOAL_DEFINED_BY = `${GATEWAY_CANONICAL}/StructureDefinition/goal-defined-by`;

const DEFINERS: readonly GoalDefiner[] = ['client', 'case-manager', 'jointly'];

function versionTime(resource: { meta?: { lastUpdated?: string } }, fallback: string | undefined): string {
  return resource.meta?.lastUpdated ?? fallback ?? '';
}

/** One Task version; versions with a status outside the referral value set are skipped by referralFact. */
export function taskVersionFact(task: Task): TaskVersionFact | undefined {
  if (!isReferralTaskStatus(task.status)) {
    return undefined;
  }
  const outputs = (task.output ?? []).filter((o) => hasCode(o.type, TEMPORARY_CODES, 'resulting-activity'));
  const outputProcedures: string[] = [];
  for (const o of outputs) {
    const parsed = parseReference(o.valueReference?.reference);
    if (parsed?.resourceType === 'Procedure') outputProcedures.push(parsed.id);
  }
  return {
    status: task.status,
    reason: task.statusReason?.text ?? task.statusReason?.coding?.[0]?.code,
    owner: task.owner?.reference,
    lastUpdated: versionTime(task, task.lastModified ?? task.authoredOn),
    outcomes: outputs.length,
    outputProcedures,
  };
}

/** SDOH categories of the ServiceRequest (codes of SDOHCC-CodeSystemTemporaryCodes). */
export function sdohCategories(serviceRequest: ServiceRequest | undefined): string[] {
  const out: string[] = [];
  for (const c of serviceRequest?.category ?? []) {
    for (const coding of c.coding ?? []) {
      if (coding.system === TEMPORARY_CODES && coding.code && !out.includes(coding.code)) out.push(coding.code);
    }
  }
  return out;
}

/** A referral from its Task versions (oldest first) and its ServiceRequest. */
export function referralFact(versions: readonly Task[], serviceRequest?: ServiceRequest, consent?: boolean): ReferralFact {
  const last = versions[versions.length - 1];
  return {
    id: last?.id ?? '',
    authoredOn: last?.authoredOn ?? '',
    categories: sdohCategories(serviceRequest),
    versions: versions.map(taskVersionFact).filter((v): v is TaskVersionFact => v !== undefined),
    consent: consent ?? (serviceRequest?.supportingInfo ?? []).some((r) => parseReference(r.reference)?.resourceType === 'Consent' || r.reference?.startsWith('#') === true),
  };
}

export function procedureFact(procedure: Procedure): ProcedureFact {
  return { id: procedure.id ?? '', performed: procedure.performedDateTime ?? procedure.performedPeriod?.start };
}

/** The definer a Goal's defined-by code names; undefined for any other code or none. */
export function goalDefiner(code: string | null | undefined): GoalDefiner | undefined {
  return DEFINERS.find((d) => d === code);
}

/** A Goal from its versions (oldest first). */
export function goalFact(versions: readonly Goal[]): GoalFact {
  const last = versions[versions.length - 1];
  const code = last?.extension?.find((e) => e.url === GOAL_DEFINED_BY)?.valueCode;
  return {
    id: last?.id ?? '',
    definedBy: goalDefiner(code),
    history: versions.map((g) => ({ achievementStatus: g.achievementStatus?.coding?.[0]?.code, lastUpdated: versionTime(g, g.startDate) })),
  };
}

/**
 * The organisation whose case plan it is: the author when an Organization, else the first
 * Organization among the contributors (a case manager authors a partner's plan, the partner
 * organisation contributes), else the author as given.
 */
function organizationOf(carePlan: CarePlan): string | undefined {
  const author = carePlan.author?.reference;
  if (parseReference(author)?.resourceType === 'Organization') return author;
  const contributor = (carePlan.contributor ?? []).find((c) => parseReference(c.reference)?.resourceType === 'Organization')?.reference;
  return contributor ?? author;
}

/**
 * A care plan, its Goals' histories and the referral Tasks it contains (CarePlan.activity
 * references to Task, plus any the caller adds).
 */
export function carePlanFact(
  carePlan: CarePlan,
  goalHistories: readonly (readonly Goal[])[],
  extraReferralIds: readonly string[] = [],
  categories?: readonly string[],
): CarePlanFact {
  const referralIds = [...extraReferralIds];
  for (const activity of carePlan.activity ?? []) {
    const parsed = parseReference(activity.reference?.reference);
    if (parsed?.resourceType === 'Task' && !referralIds.includes(parsed.id)) referralIds.push(parsed.id);
  }
  const fact: CarePlanFact = {
    id: carePlan.id ?? '',
    created: carePlan.created ?? carePlan.meta?.lastUpdated ?? '',
    organization: organizationOf(carePlan),
    referralIds,
    goals: goalHistories.map(goalFact),
  };
  if (categories !== undefined) fact.categories = categories;
  return fact;
}
