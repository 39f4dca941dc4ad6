// Prometheus metrics of one gateway instance (issue 9, "Outputs"; exposition format:
// prometheus.io/docs/instrumenting/exposition_formats). One Registry per app, never the
// global default, so in-process gateways (tests) do not share counters. Labels carry route
// shapes, methods, statuses and states only: no ids, names or other identifiers.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.ts';
import type { OutboxState } from '../store/store.ts';
import { pathShape } from '../logging/logger.ts';
import { countDeadLetters } from '../reports/sync-failures.ts';
import { REFERRAL_TASK_STATUSES } from '../workflow/task-status.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'in-flight', 'done', 'dead'];
/** Distinct route shapes kept as label values; later ones are counted as `other` (bounded cardinality). */
const MAX_ROUTES = 200;
const OTHER = 'other';
const TASK_CODE_SYSTEM = 'http://hl7.org/fhir/CodeSystem/task-code';

export interface GatewayMetricsOptions {
  store: Pick<Store, 'countOutbox' | 'listDeadLetters' | 'search'>;
  /** The tenant whose referral Tasks are counted; default `default` (the platform tenant). */
  tenant?: string;
  /**
   * Whether a first path segment is a FHIR resource type. pathShape keeps any capitalised
   * first segment; an unknown one becomes `:type` so a typed-in word never becomes a label.
   */
  isResourceType?: (name: string) => boolean;
}

export interface GatewayMetrics {
  registry: Registry;
  /** Records one finished HTTP request. */
  observeRequest(method: string, url: string, status: number, seconds: number): void;
  /** Records one delivery attempt of the sync engine (outcome: delivered, retry, dead). */
  observeSync(outcome: 'delivered' | 'retry' | 'dead', seconds: number): void;
}

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const tenant = options.tenant ?? 'default';
  const routes = new Set<string>();

  const requests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by method, route shape and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route shape and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const syncs = new Counter({
    name: 'gateway_sync_deliveries_total',
    help: 'Outbox delivery attempts, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const syncLatency = new Histogram({
    name: 'gateway_sync_delivery_duration_seconds',
    help: 'Outbox delivery attempt latency in seconds, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  // Gauges read from the store when scraped.
  new Gauge({
    name: 'gateway_outbox_items',
    help: 'Outbox items by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(OUTBOX_STATES.map((s) => options.store.countOutbox(s)));
      OUTBOX_STATES.forEach((s, i) => this.set({ state: s }, counts[i]));
    },
  });
  new Gauge({
    name: 'gateway_dead_letters',
    help: 'Dead letters waiting for an operator (not requeued)',
    registers: [registry],
    async collect() {
      this.set(await countDeadLetters(options.store));
    },
  });
  new Gauge({
    name: 'gateway_referrals',
    help: 'Referral Tasks (Task.code fulfill) of the platform tenant by Task.status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const totals = await Promise.all(
        REFERRAL_TASK_STATUSES.map((status) =>
          options.store.search(tenant, {
            resourceType: 'Task',
            filters: [
              { kind: 'token', param: 'status', values: [{ code: status }] },
              { kind: 'token', param: 'code', values: [{ system: TASK_CODE_SYSTEM, code: 'fulfill' }] },
            ],
            summaryCount: true,
            total: 'accurate',
          }),
        ),
      );
      REFERRAL_TASK_STATUSES.forEach((status, i) => this.set({ status }, totals[i].total ?? 0));
    },
  });

  const routeOf = (url: string): string => {
    let shape = pathShape(url);
    const first = shape.split('/')[1] ?? '';
    if (/^[A-Z]/.test(first) && options.isResourceType && !options.isResourceType(first)) {
      shape = shape.replace(`/${first}`, '/:type');
    }
    if (shape.length > 200) return OTHER;
    if (routes.has(shape)) return shape;
    if (routes.size >= MAX_ROUTES) return OTHER;
    routes.add(shape);
    return shape;
  };

  return {
    registry,
    observeRequest(method, url, status, seconds) {
      const labels = { method: METHODS.has(method) ? method : OTHER, route: routeOf(url), status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    observeSync(outcome, seconds) {
      syncs.inc({ outcome });
      syncLatency.observe({ outcome }, seconds);
    },
  };
}
