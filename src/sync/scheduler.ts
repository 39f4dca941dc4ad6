// Scheduled sync jobs that run once per tick across replicas (RELIABILITY.md scenario 12):
// - every replica's node-cron fires; each tries the job's store lease (a fencing token that
//   strictly increases whenever the lease changes hands);
// - the holder then claims the tick itself with compare-and-set on a per-job tick cursor, so
//   a replica that gets the lease just after the first finished cannot run the same tick again;
// - the job gets the fence and checks it before writing its cursors: a replica that lost the
//   lease (paused, partitioned) cannot write.
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Store } from '../store/store.ts';
import type { Fence } from './poller.ts';

export interface ScheduledJob {
  name: string;
  /** node-cron expression (seconds field optional). */
  schedule: string;
  run(fence: Fence): Promise<unknown>;
}

export type TickOutcome = 'ran' | 'not-holder' | 'already-ran' | 'failed';

export interface SchedulerOptions {
  store: Store;
  jobs: readonly ScheduledJob[];
  holder?: string;
  /** How long a lease holds without renewal; longer than one run of a job. */
  leaseTtlMs?: number;
  timezone?: string;
  onTick?: (job: string, tick: string, outcome: TickOutcome, error?: unknown) => void;
}

export interface SyncScheduler {
  start(): void;
  stop(): Promise<void>;
  /** Runs the tick of `job` scheduled at `at` as a cron firing would (tests, `sync --once`). */
  tick(job: string, at: Date): Promise<TickOutcome>;
}

export function leaseName(job: string): string {
  return `sync-job:${job}`;
}

export function createSyncScheduler(options: SchedulerOptions): SyncScheduler {
  const { store } = options;
  const holder = options.holder ?? `replica-${randomUUID()}`;
  const ttl = options.leaseTtlMs ?? 10 * 60_000;
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<unknown>>();

  async function tick(jobName: string, at: Date): Promise<TickOutcome> {
    const job = options.jobs.find((j) => j.name === jobName);
    if (!job) {
      return 'failed';
    }
    // One tick is one scheduled second, whatever the firing delay of each replica.
    const tickIso = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
    const lease = await store.acquireLease(leaseName(job.name), holder, ttl);
    if (!lease) {
      options.onTick?.(job.name, tickIso, 'not-holder');
      return 'not-holder';
    }
    try {
      const tickCursor = `sync-tick:${job.name}`;
      const last = await store.getCursor(tickCursor);
      if ((last && Date.parse(last) >= Date.parse(tickIso)) || !(await store.compareAndSetCursor(tickCursor, last, tickIso))) {
        options.onTick?.(job.name, tickIso, 'already-ran');
        return 'already-ran';
      }
      await job.run({ lease: leaseName(job.name), token: lease.token });
      options.onTick?.(job.name, tickIso, 'ran');
      return 'ran';
    } catch (error) {
      options.onTick?.(job.name, tickIso, 'failed', error);
      return 'failed';
    } finally {
      await store.releaseLease(leaseName(job.name), holder).catch(() => undefined);
    }
  }

  return {
    start() {
      for (const job of options.jobs) {
        const task = cron.schedule(
          job.schedule,
          (context) => {
            const run = tick(job.name, context.date).finally(() => running.delete(run));
            running.add(run);
            return run;
          },
          { name: `sync-${job.name}`, noOverlap: true, timezone: options.timezone },
        );
        tasks.push(task);
      }
    },
    async stop() {
      for (const task of tasks.splice(0)) {
        await task.destroy();
      }
      await Promise.allSettled([...running]);
    },
    tick,
  };
}
