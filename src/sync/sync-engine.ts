// The sync engine for every configured EHR: a poller and an outbox deliverer per EHR, one
// outbox worker for all of them, and the scheduled jobs (poll, then drain) that the
// scheduler runs once per tick across replicas.
import { OUTBOX_DEFAULTS, type EhrConfig as GatewayEhrConfig, type OutboxConfig } from '../config/config.ts';
import type { PlatformSettings } from '../coordination/platform.ts';
import type { EhrClient } from '../ehr/ehr-client.ts';
import { createEhrClient } from '../ehr/http-ehr-client.ts';
import { auditOutbound } from '../security/index.ts';
import type { EhrConfigInput } from '../ehr/config.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import type { Store } from '../store/store.ts';
import type { BackoffPolicy } from './backoff.ts';
import { createEhrDeliverer } from './ehr-deliverer.ts';
import { ehrClientInput } from './ehr-connection.ts';
import { originCode } from './ehr-tags.ts';
import { addStats, createOutboxWorker, emptyStats, type Deliverer, type DrainStats, type OutboxWorker } from './outbox-worker.ts';
import { createPoller, emptyPollStats, type Fence, type Poller, type PollStats } from './poller.ts';
import { createReconciler, type Reconciler } from './reconcile-job.ts';
import type { ScheduledJob } from './scheduler.ts';

export interface SyncEngineOptions {
  store: Store;
  rest: FhirRest;
  settings: PlatformSettings;
  /** More deliverers by destination key (e.g. `webhook:*` for partner webhooks). */
  extraDeliverers?: ReadonlyMap<string, Deliverer>;
  ehrs: readonly GatewayEhrConfig[];
  /** Attempts per outbox item before it becomes a dead letter. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  overlapMs?: number;
  pageSize?: number;
  /** Client settings over the configured ones (tests: shorter waits). */
  clientOverrides?: Partial<EhrConfigInput>;
  workerId?: string;
  /** How long a claimed outbox item stays with its worker before another may take it (a crashed worker's items come back after it). */
  workerLeaseMs?: number;
  /** Outbox items claimed per round. */
  batchSize?: number;
  /** Whether a scheduled tick polls this EHR now (false while its subscription channel is live); default always. */
  pollWhen?: (ehr: string) => boolean;
}

export interface EhrCycle {
  ehr: string;
  poll: PollStats;
}

export interface CycleReport {
  ehrs: EhrCycle[];
  outbox: DrainStats;
}

export interface SyncEngine {
  readonly worker: OutboxWorker;
  readonly pollers: ReadonlyMap<string, Poller>;
  readonly clients: ReadonlyMap<string, EhrClient>;
  /** Per EHR, the comparison of open referrals with the EHR (`gateway reconcile`, and a scheduled job). */
  readonly reconcilers: ReadonlyMap<string, Reconciler>;
  /** One poll of every EHR, then the outbox drained: `gateway sync --once`. */
  runOnce(options?: { fence?: Fence; signal?: AbortSignal }): Promise<CycleReport>;
  /** The scheduled jobs: per EHR, poll it and drain the outbox; and reconcile it with repairs. */
  jobs(): ScheduledJob[];
}

export const SYNC_DEFAULTS = {
  maxAttempts: OUTBOX_DEFAULTS.maxAttempts,
  backoff: { baseMs: OUTBOX_DEFAULTS.backoffBaseMs, maxMs: OUTBOX_DEFAULTS.backoffMaxMs },
} as const;

/** The engine's outbox options from the gateway's `outbox` settings. */
export function outboxOptions(outbox: OutboxConfig): Pick<SyncEngineOptions, 'maxAttempts' | 'backoff' | 'batchSize' | 'workerLeaseMs'> {
  return {
    maxAttempts: outbox.maxAttempts,
    backoff: { baseMs: outbox.backoffBaseMs, maxMs: outbox.backoffMaxMs },
    batchSize: outbox.batchSize,
    workerLeaseMs: outbox.claimLeaseMs,
  };
}

/** Reconciliation once a business day, before clinics open. */
export const DEFAULT_RECONCILE_SCHEDULE = '30 6 * * 1-5';

export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const pollers = new Map<string, Poller>();
  const reconcilers = new Map<string, Reconciler>();
  const clients = new Map<string, EhrClient>();
  const deliverers = new Map<string, Deliverer>();
  for (const ehr of options.ehrs) {
    const input = { ...ehrClientInput(ehr), ...options.clientOverrides };
    // IHE Basic Audit: one AuditEvent per outbound EHR call, in the platform's tenant.
    const client = createEhrClient(input, {
      onExchange: async (method, url, status) => {
        await auditOutbound(options.store, { tenant: options.settings.tenant, method, url, status });
      },
    });
    clients.set(ehr.name, client);
    pollers.set(
      ehr.name,
      createPoller({
        ehrName: ehr.name,
        ehrBaseUrl: input.baseUrl,
        organizations: ehr.organizations,
        client,
        store: options.store,
        rest: options.rest,
        settings: options.settings,
        overlapMs: options.overlapMs,
        pageSize: options.pageSize,
      }),
    );
    reconcilers.set(ehr.name, createReconciler({ ehrName: ehr.name, store: options.store, client, poller: pollers.get(ehr.name) as Poller, settings: options.settings }));
    deliverers.set(originCode(ehr.name), createEhrDeliverer({ store: options.store, client, ehrBaseUrl: input.baseUrl, gatewayBaseUrl: options.settings.baseUrl }));
  }
  for (const [key, deliverer] of options.extraDeliverers ?? []) {
    deliverers.set(key, deliverer);
  }
  const worker = createOutboxWorker({
    store: options.store,
    deliverers,
    maxAttempts: options.maxAttempts ?? SYNC_DEFAULTS.maxAttempts,
    backoff: options.backoff ?? SYNC_DEFAULTS.backoff,
    workerId: options.workerId,
    leaseMs: options.workerLeaseMs ?? OUTBOX_DEFAULTS.claimLeaseMs,
    batchSize: options.batchSize ?? OUTBOX_DEFAULTS.batchSize,
  });

  async function pollOne(name: string, fence?: Fence, signal?: AbortSignal): Promise<EhrCycle> {
    const poller = pollers.get(name);
    return { ehr: name, poll: poller ? await poller.pollOnce({ fence, signal }) : emptyPollStats() };
  }

  return {
    worker,
    pollers,
    clients,
    reconcilers,
    async runOnce({ fence, signal } = {}) {
      const ehrs: EhrCycle[] = [];
      for (const name of pollers.keys()) {
        ehrs.push(await pollOne(name, fence, signal));
      }
      const outbox = addStats(emptyStats(), await worker.drain({ signal }));
      return { ehrs, outbox };
    },
    jobs() {
      const reconcileJobs: ScheduledJob[] = options.ehrs.map((ehr) => ({
        name: `reconcile-${ehr.name}`,
        schedule: ehr.reconcileSchedule ?? DEFAULT_RECONCILE_SCHEDULE,
        run: (fence: Fence) => (reconcilers.get(ehr.name) as Reconciler).run({ repair: true, fence }),
      }));
      const pollJobs: ScheduledJob[] = options.ehrs.map((ehr) => ({
        name: `poll-${ehr.name}`,
        schedule: ehr.pollSchedule,
        run: async (fence: Fence) => {
          const cycle = options.pollWhen && !options.pollWhen(ehr.name) ? { ehr: ehr.name, poll: emptyPollStats(), skipped: 'subscription live' } : await pollOne(ehr.name, fence);
          const outbox = await worker.drain();
          return { ...cycle, outbox };
        },
      }));
      return [...pollJobs, ...reconcileJobs];
    },
  };
}
