// The outbox worker (RELIABILITY.md, "durable outbox"): claims due items, hands each to the
// deliverer of its destination, then completes it, schedules a retry with backoff and
// jitter, or moves it to the dead-letter list with the reason. Order per ordering key comes
// from the store's claim (only the oldest unfinished item of a key is ever claimed); items of
// different keys are delivered concurrently, so one bad item never blocks the others.
import { randomUUID } from 'node:crypto';
import { OUTBOX_DEFAULTS } from '../config/config.ts';
import type { OutboxItem, Store } from '../store/store.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { safeErrorText } from './error-text.ts';

/** What a deliverer decided about an item it could not and should not retry. */
export type DeliveryResult = { kind: 'delivered' } | { kind: 'parked'; reason: string };

/**
 * Delivers one outbox item to its destination. Throws to ask for a retry (transient failure);
 * returns `parked` when a person has to decide (e.g. the change no longer applies).
 */
export interface Deliverer {
  deliver(item: OutboxItem, signal?: AbortSignal): Promise<DeliveryResult>;
}

export interface OutboxWorkerOptions {
  store: Store;
  /** Deliverers by destination (e.g. `ehr:main`); `prefix:*` keys match every destination with the prefix. */
  deliverers: ReadonlyMap<string, Deliverer>;
  /** Attempts before an item goes to the dead-letter list. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Items claimed per round. */
  batchSize?: number;
  /** How long a claim holds before another worker may take the item again. */
  leaseMs?: number;
  workerId?: string;
  now?: () => number;
  random?: () => number;
}

export interface DrainStats {
  claimed: number;
  delivered: number;
  retried: number;
  parked: number;
  buried: number;
}

export interface OutboxWorker {
  /** One claim round: delivers what was claimed and returns what happened. */
  runOnce(signal?: AbortSignal): Promise<DrainStats>;
  /** Rounds until nothing is due (items waiting for a later retry stay pending). */
  drain(options?: { signal?: AbortSignal; maxRounds?: number }): Promise<DrainStats>;
}

export function emptyStats(): DrainStats {
  return { claimed: 0, delivered: 0, retried: 0, parked: 0, buried: 0 };
}

export function addStats(into: DrainStats, more: DrainStats): DrainStats {
  into.claimed += more.claimed;
  into.delivered += more.delivered;
  into.retried += more.retried;
  into.parked += more.parked;
  into.buried += more.buried;
  return into;
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const store = options.store;
  const workerId = options.workerId ?? `worker-${randomUUID()}`;
  const batchSize = options.batchSize ?? OUTBOX_DEFAULTS.batchSize;
  const leaseMs = options.leaseMs ?? OUTBOX_DEFAULTS.claimLeaseMs;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;

  function delivererFor(destination: string): Deliverer | undefined {
    const exact = options.deliverers.get(destination);
    if (exact) {
      return exact;
    }
    const prefix = destination.split(':')[0];
    return options.deliverers.get(`${prefix}:*`);
  }

  async function handle(item: OutboxItem, stats: DrainStats, signal?: AbortSignal): Promise<void> {
    const deliverer = delivererFor(item.destination);
    try {
      if (!deliverer) {
        throw new Error('no deliverer for the destination');
      }
      const result = await deliverer.deliver(item, signal);
      if (result.kind === 'delivered') {
        await store.complete(item.id, workerId);
        stats.delivered += 1;
        return;
      }
      await store.bury(item.id, workerId, `parked: ${result.reason}`);
      stats.parked += 1;
    } catch (error) {
      const text = safeErrorText(error, deliverer === undefined ? 'no deliverer configured for this destination' : undefined);
      if (item.attempts >= options.maxAttempts) {
        await store.bury(item.id, workerId, `gave up after ${item.attempts} attempts: ${text}`);
        stats.buried += 1;
        return;
      }
      const delay = backoffDelay(item.attempts, options.backoff, random());
      await store.retry(item.id, workerId, text, new Date(now() + delay).toISOString());
      stats.retried += 1;
    }
  }

  async function runOnce(signal?: AbortSignal): Promise<DrainStats> {
    const stats = emptyStats();
    const items = await store.claim(workerId, batchSize, leaseMs);
    stats.claimed = items.length;
    // The claim returns at most one item per ordering key, so these may run side by side.
    await Promise.all(items.map((item) => handle(item, stats, signal)));
    return stats;
  }

  return {
    runOnce,
    async drain({ signal, maxRounds = Number.POSITIVE_INFINITY } = {}) {
      const total = emptyStats();
      for (let round = 0; round < maxRounds && !signal?.aborted; round++) {
        const stats = await runOnce(signal);
        addStats(total, stats);
        if (stats.claimed === 0) {
          break;
        }
      }
      return total;
    },
  };
}
