// The reconciliation job of one EHR connection: every open source referral the platform took
// in from that EHR (Task in the platform tenant, origin `ehr:<name>`, not partOf another Task,
// status not terminal) is compared with the EHR's current Task (read in batches by _id), the
// drift reported (reconcile-drift.ts) and, with `repair`, repaired where safe: a push queued in
// the outbox (the deliverer applies it with If-Match along allowed transitions, or parks it), or
// the EHR's newer version taken in on the polling path. Runs on the scheduler's lease; repairs
// are written only while the run's fence is current.
import type { Task } from '@medplum/fhirtypes';
import { ORIGIN_SYSTEM, type PlatformSettings } from '../coordination/platform.ts';
import type { EhrClient } from '../ehr/ehr-client.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { conflict } from '../fhir/outcomes.ts';
import type { Store, StoredVersion } from '../store/store.ts';
import { TERMINAL_STATUSES, REFERRAL_TASK_STATUSES } from '../workflow/task-status.ts';
import { ehrVersionOf, originCode } from './ehr-tags.ts';
import type { Fence, Poller } from './poller.ts';
import { compareReferral, DRIFT_KINDS, type DriftKind, type Repair } from './reconcile-drift.ts';

export interface ReferralDrift {
  /** The platform's Task id. */
  taskId: string;
  /** The EHR's Task id. */
  ehrTaskId: string;
  platformStatus: string;
  ehrStatus?: string;
  kinds: DriftKind[];
  repairs: Repair[];
}

export interface ReconcileReport {
  ehr: string;
  /** Open referrals compared. */
  checked: number;
  /** Referrals with any drift. */
  drifted: ReferralDrift[];
  counts: Record<DriftKind, number>;
  /** Repairs done (zero when run without `repair`). */
  pushed: number;
  takenIn: number;
}

export interface ReconcilerOptions {
  ehrName: string;
  store: Store;
  client: EhrClient;
  poller: Poller;
  settings: PlatformSettings;
  /** EHR Tasks read per search (`_id` list). */
  batchSize?: number;
}

export interface Reconciler {
  run(options?: { repair?: boolean; fence?: Fence; signal?: AbortSignal }): Promise<ReconcileReport>;
}

const OPEN_STATUSES = REFERRAL_TASK_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));
const PAGE = 500;

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { store, client, settings } = options;
  const batchSize = options.batchSize ?? 50;

  /** Open source referrals taken in from this EHR, with the EHR Task id each was taken in from. */
  async function openReferrals(): Promise<{ version: StoredVersion<Task>; ehrId: string; takenIn: string }[]> {
    const found: { version: StoredVersion<Task>; ehrId: string; takenIn: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.search(settings.tenant, {
        resourceType: 'Task',
        filters: [
          { kind: 'token', param: '_tag', values: [{ system: ORIGIN_SYSTEM, code: originCode(options.ehrName) }] },
          { kind: 'token', param: 'status', values: OPEN_STATUSES.map((code) => ({ code })) },
        ],
        count: PAGE,
        cursor,
      });
      for (const version of page.versions as StoredVersion<Task>[]) {
        const key = ehrVersionOf(version.resource);
        if (!version.resource.partOf?.length && key?.resourceType === 'Task') {
          found.push({ version, ehrId: key.id, takenIn: key.versionId });
        }
      }
      cursor = page.next;
    } while (cursor);
    return found;
  }

  async function readEhrTasks(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, Task>> {
    const byId = new Map<string, Task>();
    for (let i = 0; i < ids.length; i += batchSize) {
      const batch = ids.slice(i, i + batchSize);
      const params = new URLSearchParams({ _id: batch.join(','), _count: String(batch.length) });
      for await (const page of client.search<Task>('Task', params, { signal })) {
        for (const task of page.resources) {
          if (task.id) {
            byId.set(task.id, task);
          }
        }
      }
    }
    return byId;
  }

  return {
    async run({ repair = false, fence, signal } = {}) {
      const referrals = await openReferrals();
      const ehrTasks = await readEhrTasks([...new Set(referrals.map((r) => r.ehrId))], signal);
      const counts = Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])) as Record<DriftKind, number>;
      const drifted: ReferralDrift[] = [];
      for (const { version, ehrId, takenIn } of referrals) {
        const ehrTask = ehrTasks.get(ehrId);
        const drift = compareReferral(version.resource, ehrTask, takenIn);
        if (drift.kinds.length === 0) {
          continue;
        }
        for (const kind of drift.kinds) {
          counts[kind] += 1;
        }
        drifted.push({ taskId: version.id, ehrTaskId: ehrId, platformStatus: version.resource.status, ehrStatus: ehrTask?.status, kinds: drift.kinds, repairs: drift.repairs });
      }
      let pushed = 0;
      let takenIn = 0;
      if (repair) {
        if (fence && !(await store.checkFence(fence.lease, fence.token))) {
          throw new OperationOutcomeError(conflict('The reconciliation lease moved to another replica; nothing repaired'));
        }
        const toTakeIn = drifted.filter((d) => d.repairs.includes('intake')).flatMap((d) => {
          const task = ehrTasks.get(d.ehrTaskId);
          return task ? [task] : [];
        });
        if (toTakeIn.length) {
          const stats = await options.poller.intake(toTakeIn, { signal });
          takenIn = stats.applied + stats.unchanged;
        }
        for (const d of drifted.filter((x) => x.repairs.includes('push'))) {
          await store.enqueue({
            destination: originCode(options.ehrName),
            orderingKey: `Task/${d.taskId}`,
            reason: 'reconcile-drift',
            payload: { tenant: settings.tenant, resourceType: 'Task', id: d.taskId },
          });
          pushed += 1;
        }
      }
      return { ehr: options.ehrName, checked: referrals.length, drifted, counts, pushed, takenIn };
    },
  };
}

/** The report as lines for operators: figures, then one line per drifted referral (ids and statuses only). */
export function formatReconcileReport(report: ReconcileReport, repaired: boolean): string {
  const kinds = DRIFT_KINDS.map((k) => `${report.counts[k]} ${k}`).join(', ');
  const lines = [`EHR ${report.ehr}: ${report.checked} open referrals checked, ${report.drifted.length} with drift (${kinds})`];
  lines.push(repaired ? `repaired: ${report.pushed} pushes queued, ${report.takenIn} EHR versions taken in` : 'not repaired (--no-repair)');
  for (const d of report.drifted) {
    lines.push(`  Task/${d.taskId} (EHR Task/${d.ehrTaskId}): platform ${d.platformStatus}, EHR ${d.ehrStatus ?? 'missing'}: ${d.kinds.join(', ')}${d.repairs.length ? `; repair: ${d.repairs.join(', ')}` : '; left for a person'}`);
  }
  return `${lines.join('\n')}\n`;
}
