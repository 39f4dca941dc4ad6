// The sync engine at work inside a running gateway: the poll schedules (once per tick
// across replicas) and an outbox worker loop that drains due items every few seconds, so
// changes reach the EHR without waiting for the next poll. Stopping waits for the work in
// hand (RELIABILITY.md scenario 13: in-flight items finish or their claim lapses and they
// are claimed again).
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { safeErrorText } from './error-text.ts';
import { createSubscriptionReceiver, subscribedEhrs, type SubscriptionReceiver } from './subscription-receiver.ts';
import { createSyncScheduler, type SyncScheduler } from './scheduler.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from './sync-engine.ts';

export interface SyncServiceOptions extends SyncEngineOptions {
  logger: Logger;
  /** Pause between outbox rounds when nothing was due. */
  workerIntervalMs?: number;
  /** Registry for the subscription channel metrics. */
  metricsRegistry?: Registry;
}

export interface SyncService {
  engine: SyncEngine;
  scheduler: SyncScheduler;
  /** Subscription notifications, when an EHR has a `subscription` block. */
  subscriptions?: SubscriptionReceiver;
  stop(): Promise<void>;
}

export function startSyncService(options: SyncServiceOptions): SyncService {
  const { logger } = options;
  // While an EHR's subscription channel is live its scheduled polls are skipped (the receiver decides).
  let subscriptions: SubscriptionReceiver | undefined;
  const engine = createSyncEngine({ ...options, pollWhen: (ehr) => subscriptions?.shouldPoll(ehr) ?? true });
  const subscribed = subscribedEhrs(options.ehrs);
  if (subscribed.length > 0) {
    subscriptions = createSubscriptionReceiver({ ehrs: subscribed, store: options.store, pollers: engine.pollers, clients: engine.clients, logger, registry: options.metricsRegistry });
    subscriptions.start();
  }
  const scheduler = createSyncScheduler({
    store: options.store,
    jobs: engine.jobs(),
    onTick: (job, tick, outcome, error) => {
      if (outcome === 'failed') {
        logger.warn({ job, tick, problem: safeErrorText(error) }, 'sync job failed');
      } else {
        logger.info({ job, tick, outcome }, 'sync tick');
      }
    },
  });
  scheduler.start();
  const controller = new AbortController();
  const interval = options.workerIntervalMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const loop = (): void => {
    current = engine.worker
      .drain({ signal: controller.signal, maxRounds: 100 })
      .then((stats) => {
        if (stats.claimed > 0) {
          logger.info({ outbox: stats }, 'outbox drained');
        }
      })
      .catch((error: unknown) => {
        logger.warn({ problem: safeErrorText(error) }, 'outbox round failed');
      })
      .finally(() => {
        if (!controller.signal.aborted) {
          timer = setTimeout(loop, interval);
          timer.unref();
        }
      });
  };
  timer = setTimeout(loop, interval);
  timer.unref();

  return {
    engine,
    scheduler,
    subscriptions,
    async stop() {
      await subscriptions?.stop();
      controller.abort();
      clearTimeout(timer);
      await scheduler.stop();
      await current;
    },
  };
}
