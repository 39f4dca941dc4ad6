// Case updates from a partner in its own format: each record is mapped (case-update mapping,
// or a CSV of them), merged into the partner's downstream Task (only status, statusReason and
// output: SDOHCC owner rules) with the Procedures for services delivered, and written through
// the FHIR API core, so validation and the workflow rules apply. Each record lands whole or
// not at all, and the answer reports every record.
import type { OperationOutcome, Procedure, Resource, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError, hasErrors, normalize, notFound, outcome } from '../fhir/index.ts';
import type { MappingEngine } from '../mapping/index.ts';
import type { RestContext } from '../rest/context.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import type { Partner, Store, StoreOps } from '../store/store.ts';
import { PARTNER_REFERRAL_ID } from './platform.ts';

export type UpdateResult =
  | { index: number; referralId?: string; status: 'applied'; taskStatus: string }
  | { index: number; referralId?: string; status: 'rejected'; outcome: OperationOutcome };

export interface UpdateDeps {
  store: Store;
  rest: FhirRest;
  engine: MappingEngine;
}

/** JSON records: one object, an array, or `{ "updates": [...] }`. */
export function recordsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null && Array.isArray((body as { updates?: unknown }).updates)) return (body as { updates: unknown[] }).updates;
  return [body];
}

export async function applyJsonUpdates(deps: UpdateDeps, ctx: RestContext, partner: Partner, records: unknown[]): Promise<UpdateResult[]> {
  const results: UpdateResult[] = [];
  for (const [index, record] of records.entries()) {
    const referralId = typeof (record as { referralId?: unknown })?.referralId === 'string' ? (record as { referralId: string }).referralId : undefined;
    const mapped = deps.engine.map('case-update', 'to-fhir', record, { partner: partner.id, skipValidation: true });
    if (hasErrors(mapped.outcome) || !mapped.resources) {
      results.push({ index, referralId, status: 'rejected', outcome: mapped.outcome });
      continue;
    }
    results.push(await applyOne(deps, ctx, index, referralId, mapped.resources));
  }
  return results;
}

/** CSV: the referral-csv mapping turns rows into resources; rows with errors produce none. */
export async function applyCsvUpdates(deps: UpdateDeps, ctx: RestContext, partner: Partner, text: string): Promise<{ results: UpdateResult[]; outcome: OperationOutcome }> {
  const mapped = deps.engine.map('referral-csv', 'to-fhir', text, { partner: partner.id, skipValidation: true });
  const resources = mapped.resources ?? [];
  const tasks = resources.filter((r): r is Task => r.resourceType === 'Task');
  const results: UpdateResult[] = [];
  for (const [index, task] of tasks.entries()) {
    const referralId = task.identifier?.find((i) => i.system === PARTNER_REFERRAL_ID)?.value;
    const outputs = new Set((task.output ?? []).map((o) => o.valueReference?.reference));
    const group = [task, ...resources.filter((r) => r.resourceType === 'Procedure' && outputs.has(`Procedure/${r.id}`))];
    results.push(await applyOne(deps, ctx, index, referralId, group));
  }
  return { results, outcome: mapped.outcome };
}

async function applyOne(deps: UpdateDeps, ctx: RestContext, index: number, referralId: string | undefined, resources: Resource[]): Promise<UpdateResult> {
  try {
    const update = resources.find((r): r is Task => r.resourceType === 'Task');
    const id = update?.identifier?.find((i) => i.system === PARTNER_REFERRAL_ID)?.value;
    if (!update || !id) {
      throw new OperationOutcomeError(outcome('unprocessable', [{ severity: 'error', code: 'required', details: { text: 'The update does not name a referral' }, expression: ['referralId'] }]));
    }
    const taskStatus = await deps.store.transaction(async (tx) => {
      const current = await findTask(tx, ctx.tenant, id);
      const procedures = resources.filter((r): r is Procedure => r.resourceType === 'Procedure').map((p) => ({ ...p, subject: current.for ?? p.subject, basedOn: current.focus ? [current.focus] : p.basedOn }));
      for (const procedure of procedures) {
        await deps.rest.update(ctx, 'Procedure', procedure.id ?? '', procedure, {}, tx);
      }
      const known = new Set((current.output ?? []).map((o) => o.valueReference?.reference));
      const added = (update.output ?? []).filter((o) => !known.has(o.valueReference?.reference));
      const next: Task = {
        ...current,
        status: update.status,
        statusReason: update.statusReason,
        output: [...(current.output ?? []), ...added].length ? [...(current.output ?? []), ...added] : undefined,
        // Task inv-1: lastModified >= authoredOn, whatever the partner's clock said.
        lastModified: latest(update.lastModified ?? current.lastModified, current.authoredOn),
      };
      if (!next.statusReason) delete next.statusReason;
      const result = await deps.rest.update(ctx, 'Task', current.id ?? '', next, { ifMatch: current.meta?.versionId }, tx);
      return (result.resource as Task | undefined)?.status ?? next.status;
    });
    return { index, referralId, status: 'applied', taskStatus };
  } catch (error) {
    return { index, referralId, status: 'rejected', outcome: normalize(error) };
  }
}

async function findTask(tx: StoreOps, tenant: string, referralId: string): Promise<Task> {
  const found = await tx.search(tenant, {
    resourceType: 'Task',
    filters: [{ kind: 'token', param: 'identifier', values: [{ system: PARTNER_REFERRAL_ID, code: referralId }] }],
    count: 2,
  });
  const task = found.versions[0]?.resource as Task | undefined;
  if (!task) {
    throw new OperationOutcomeError(notFound('No referral with this referralId in your inbox', 'referralId'));
  }
  return task;
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (!a || !b) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
