// Subscription notifications (R4 backport) from configured EHRs, fed into the poller's intake:
// - each notification is read and checked first (subscription-notification.ts), so a focus on
//   another server is refused before anything is read or written;
// - event numbers are recorded per subscription channel in the store after their Task is taken
//   in: a number seen before is a duplicate and is skipped; a number at or below the highest
//   already known arrived out of order, and its Task is read back from the EHR rather than taken
//   from the Bundle, so an older payload never overwrites a newer version;
// - when numbers are missing (a dropped notification, or a heartbeat telling of events never
//   received), the EHR's poll runs as the catch-up query, and the channel is marked caught up to
//   the highest number known when it began;
// - while notifications or heartbeats keep arriving, the EHR's scheduled polls are not needed;
//   when none arrives within `heartbeatSeconds`, polling takes over again (log line, metric).
import type { Task } from '@medplum/fhirtypes';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EhrConfig, EhrSubscriptionConfig } from '../config/config.ts';
import type { EhrClient } from '../ehr/ehr-client.ts';
import { isEhrNotFound } from '../ehr/failures.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { notFound } from '../fhir/outcomes.ts';
import type { Logger } from '../logging/logger.ts';
import type { Store } from '../store/store.ts';
import { safeErrorText } from './error-text.ts';
import { emptyPollStats, type Poller, type PollStats } from './poller.ts';
import { parseNotification, type NotificationEvent, type NotificationType, type SubscriptionNotification } from './subscription-notification.ts';

export interface SubscribedEhr {
  name: string;
  baseUrl: string;
  organizations: readonly string[];
  subscription: EhrSubscriptionConfig;
}

export interface SubscriptionReceiverOptions {
  ehrs: readonly SubscribedEhr[];
  store: Store;
  pollers: ReadonlyMap<string, Poller>;
  clients: ReadonlyMap<string, EhrClient>;
  logger: Logger;
  /** Where the channel gauge and fallback counter are registered. */
  registry?: Registry;
  now?: () => number;
  /** How often the heartbeat watch looks; default a quarter of the shortest heartbeat, at most 15 s. */
  watchEveryMs?: number;
}

export interface NotificationResult {
  type: NotificationType;
  events: number;
  /** Event numbers seen before, skipped. */
  duplicates: number;
  /** Event numbers that arrived after a higher one; their Tasks were read back from the EHR. */
  late: number;
  /** Tasks not owned by one of the EHR's configured organizations, or no longer on the EHR. */
  ignored: number;
  intake: PollStats;
  /** Missing event numbers found; a catch-up poll was started. */
  missing: number;
}

export interface SubscriptionReceiver {
  /** Handles one notification Bundle from EHR `ehr` (the shared secret was checked before). */
  receive(ehr: string, body: unknown, options?: { signal?: AbortSignal }): Promise<NotificationResult>;
  /** False while the EHR's subscription channel is live: its scheduled polls are not needed. */
  shouldPoll(ehr: string): boolean;
  /** Looks at every channel's last contact now (the watch does it on its own). */
  watch(): Promise<void>;
  /** Resolves once the catch-up polls running now have finished. */
  settled(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** The EHRs of the configuration that have a subscription block. */
export function subscribedEhrs(ehrs: readonly EhrConfig[]): SubscribedEhr[] {
  return ehrs.flatMap((ehr) => (ehr.subscription ? [{ name: ehr.name, baseUrl: ehr.baseUrl, organizations: ehr.organizations, subscription: ehr.subscription }] : []));
}

export function channelName(ehr: string, subscription: string): string {
  return `${ehr}|${subscription}`;
}

/** How many event numbers up to `highest` are neither covered nor taken in. */
export function missingEvents(state: { covered: number; highest: number; recordedAbove: number }): number {
  return Math.max(0, state.highest - state.covered - state.recordedAbove);
}

export function createSubscriptionReceiver(options: SubscriptionReceiverOptions): SubscriptionReceiver {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const byName = new Map(options.ehrs.map((ehr) => [ehr.name, ehr]));
  /** Per EHR: the channel is live (notifications arriving); absent or false = polling. */
  const live = new Map<string, boolean>();
  const lastHeard = new Map<string, number>();
  const catchUps = new Map<string, Promise<void>>();
  const queued = new Map<string, Map<string, number>>();
  const lanes = new Map<string, Promise<void>>();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let watching: Promise<void> = Promise.resolve();

  const registers = options.registry ? [options.registry] : [];
  const channelUp = new Gauge({
    name: 'gateway_subscription_channel_up',
    help: 'Whether an EHR subscription channel is live (1) or its polls have taken over (0), by EHR connection name',
    labelNames: ['ehr'] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: 'gateway_subscription_fallbacks_total',
    help: 'Times a silent subscription channel handed back to polling, by EHR connection name',
    labelNames: ['ehr'] as const,
    registers,
  });
  for (const ehr of options.ehrs) {
    channelUp.set({ ehr: ehr.name }, 0);
  }

  function setLive(ehr: string, quietMs?: number): void {
    if (live.get(ehr)) {
      return;
    }
    live.set(ehr, true);
    channelUp.set({ ehr }, 1);
    logger.info({ ehr, quietMs }, 'subscription channel live: scheduled polls paused');
  }

  function setSilent(ehr: string, quietMs: number | undefined): void {
    if (!live.get(ehr)) {
      return;
    }
    live.set(ehr, false);
    channelUp.set({ ehr }, 0);
    fallbacks.inc({ ehr });
    logger.warn({ ehr, quietSeconds: quietMs === undefined ? undefined : Math.round(quietMs / 1000) }, 'subscription channel silent: polling resumes');
    requestCatchUp(ehr);
  }

  /** Runs the EHR's poll as a catch-up query, one at a time per EHR; what arrives meanwhile runs after. */
  function requestCatchUp(ehr: string, channel?: string, upTo?: number): void {
    const wanted = queued.get(ehr) ?? new Map<string, number>();
    if (channel !== undefined && upTo !== undefined) {
      wanted.set(channel, Math.max(wanted.get(channel) ?? 0, upTo));
    }
    queued.set(ehr, wanted);
    if (catchUps.has(ehr)) {
      return;
    }
    const poller = options.pollers.get(ehr);
    if (!poller) {
      queued.delete(ehr);
      return;
    }
    const run = (async () => {
      while (queued.has(ehr) && !controller.signal.aborted) {
        const batch = queued.get(ehr) ?? new Map<string, number>();
        queued.delete(ehr);
        try {
          const stats = await poller.pollOnce({ signal: controller.signal });
          for (const [name, upToNumber] of batch) {
            await store.coverSubscriptionEvents(name, upToNumber);
          }
          logger.info({ ehr, poll: stats, channels: batch.size }, 'subscription catch-up poll done');
        } catch (error) {
          // The channel keeps its gap; the next notification or heartbeat asks again.
          logger.warn({ ehr, problem: safeErrorText(error) }, 'subscription catch-up poll failed');
          break;
        }
      }
    })().finally(() => catchUps.delete(ehr));
    catchUps.set(ehr, run);
  }

  function ownedHere(task: Task, ehr: SubscribedEhr): boolean {
    const owner = task.owner?.reference;
    if (!owner) {
      return false;
    }
    const base = ehr.baseUrl.endsWith('/') ? ehr.baseUrl : `${ehr.baseUrl}/`;
    const relative = owner.startsWith(base) ? owner.slice(base.length) : owner;
    return ehr.organizations.includes(relative);
  }

  /** The Task an event is about: the one carried (full-resource, in order) or the EHR's current one. */
  async function taskOf(event: NotificationEvent, ehr: SubscribedEhr, late: boolean, signal?: AbortSignal): Promise<Task | undefined> {
    if (!event.focus) {
      return undefined;
    }
    if (ehr.subscription.payload === 'full-resource' && event.resource && !late) {
      return event.resource as Task;
    }
    const client = options.clients.get(ehr.name);
    if (!client) {
      return undefined;
    }
    try {
      return await client.read<Task>('Task', event.focus.id, { signal });
    } catch (error) {
      if (isEhrNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async function watch(): Promise<void> {
    for (const ehr of options.ehrs) {
      const stored = await store.lastSubscriptionContact(ehr.name).catch(() => undefined);
      const heard = Math.max(lastHeard.get(ehr.name) ?? 0, stored ? Date.parse(stored) : 0);
      if (heard === 0) {
        continue;
      }
      const quiet = now() - heard;
      if (quiet > ehr.subscription.heartbeatSeconds * 1000) {
        setSilent(ehr.name, quiet);
      } else if (!live.get(ehr.name)) {
        // Another replica heard from the EHR lately.
        lastHeard.set(ehr.name, heard);
        setLive(ehr.name);
      }
    }
  }

  async function handle(ehr: SubscribedEhr, notification: SubscriptionNotification, channel: string, signal?: AbortSignal): Promise<NotificationResult> {
    const top = Math.max(notification.eventsSinceStart ?? 0, ...notification.events.map((e) => e.number));
    const { before } = await store.noteSubscriptionContact(channel, ehr.name, top);
    lastHeard.set(ehr.name, now());
    setLive(ehr.name);

    const result: NotificationResult = { type: notification.type, events: notification.events.length, duplicates: 0, late: 0, ignored: 0, intake: emptyPollStats(), missing: 0 };
    const poller = options.pollers.get(ehr.name);
    for (const event of notification.events) {
      if (await store.hasSubscriptionEvent(channel, event.number)) {
        result.duplicates += 1;
        continue;
      }
      const late = before !== undefined && (event.number <= before.highest || event.number <= before.covered);
      if (late) {
        result.late += 1;
      }
      const task = await taskOf(event, ehr, late, signal);
      if (event.focus && (!task || !ownedHere(task, ehr) || !poller)) {
        result.ignored += 1;
      } else if (task && poller) {
        const stats = await poller.intake([task], { signal });
        for (const key of Object.keys(stats) as (keyof PollStats)[]) {
          result.intake[key] += stats[key];
        }
      }
      // Recorded only once taken in: a crash before this line means the EHR's retry is applied (idempotently) again.
      await store.recordSubscriptionEvent(channel, event.number);
    }

    const state = await store.getSubscriptionChannel(channel);
    if (state) {
      result.missing = missingEvents(state);
      if (result.missing > 0 || before === undefined) {
        // Events were dropped (or this is the channel's first contact): the poll fetches what was missed.
        requestCatchUp(ehr.name, channel, state.highest);
      } else if (state.highest > state.covered) {
        await store.coverSubscriptionEvents(channel, state.highest);
      }
    }
    logger.info({ ehr: ehr.name, type: result.type, events: result.events, duplicates: result.duplicates, late: result.late, ignored: result.ignored, intake: result.intake, missing: result.missing }, 'subscription notification');
    return result;
  }

  async function inLane<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const previous = lanes.get(channel) ?? Promise.resolve();
    const run = previous.then(fn);
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    lanes.set(channel, done);
    try {
      return await run;
    } finally {
      if (lanes.get(channel) === done) {
        lanes.delete(channel);
      }
    }
  }

  return {
    async receive(name, body, { signal } = {}) {
      const ehr = byName.get(name);
      if (!ehr) {
        throw new OperationOutcomeError(notFound('No subscription is configured for this EHR'));
      }
      const notification = parseNotification(body, ehr.baseUrl);
      const channel = channelName(ehr.name, notification.subscription);
      // One notification of a channel at a time in this process (an EHR may retry while the first is in hand).
      return inLane(channel, () => handle(ehr, notification, channel, signal));
    },
    shouldPoll(ehr) {
      return !(byName.has(ehr) && live.get(ehr) === true);
    },
    watch,
    async settled() {
      while (catchUps.size > 0) {
        await Promise.allSettled([...catchUps.values()]);
      }
    },
    start() {
      const shortest = Math.min(...options.ehrs.map((e) => e.subscription.heartbeatSeconds * 1000));
      const every = options.watchEveryMs ?? Math.max(250, Math.min(15_000, Math.floor(shortest / 4)));
      const tick = (): void => {
        watching = watch()
          .catch((error: unknown) => logger.warn({ problem: safeErrorText(error) }, 'subscription watch failed'))
          .finally(() => {
            if (!controller.signal.aborted) {
              timer = setTimeout(tick, every);
              timer.unref();
            }
          });
      };
      if (options.ehrs.length > 0) {
        tick();
      }
    },
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await watching;
      await Promise.allSettled([...catchUps.values()]);
    },
  };
}
