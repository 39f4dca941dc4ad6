// Where the time of one FHIR API request goes, layer by layer: the benchmark's read and
// work-list search timed over HTTP (with the store calls the request made, and the audit
// append that holds its response), through the REST layer without HTTP, and the store
// operations alone. Sequential, one client; the gateway runs in this process.
// Usage: node bench/fhir-api/layers.ts [--tasks 20000] [--postgres] [--n 300]
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { AuditEvent, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { RestContext } from '../../src/rest/context.ts';
import { startTestGateway } from '../../test/support/gateway.ts';
import { makeOrganization, makeServiceRequest, makeTask, OWNERS, STATUSES } from './data.ts';
import { percentile, runFor } from './measure.ts';

const { values: args } = parseArgs({
  options: { tasks: { type: 'string', default: '20000' }, postgres: { type: 'boolean', default: false }, n: { type: 'string', default: '300' } },
});
const TASKS = Number(args.tasks);
const N = Number(args.n);

const report = (name: string, times: number[]): void => {
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`${name.padEnd(30)} p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms  p95 ${percentile(sorted, 95).toFixed(2).padStart(7)} ms`);
};

/** Runs `once` 20 times to warm up, then N times timed; returns the timings. */
async function time(once: (i: number) => Promise<unknown>, afterWarmUp?: () => void): Promise<number[]> {
  for (let i = 0; i < 20; i++) await once(i);
  afterWarmUp?.();
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await once(i);
    times.push(performance.now() - t);
  }
  return times;
}

const gw = await startTestGateway(args.postgres ? 'postgres' : 'sqlite', { logLevel: 'warn' });
try {
  await gw.store.createMany('default', Array.from({ length: OWNERS }, (_, i) => makeOrganization(i)));
  let since = '';
  for (let start = 0; start < TASKS; start += 1000) {
    const size = Math.min(1000, TASKS - start);
    await gw.store.createMany<ServiceRequest>('default', Array.from({ length: size }, (_, k) => makeServiceRequest(start + k)));
    await gw.store.createMany<Task>('default', Array.from({ length: size }, (_, k) => makeTask(start + k)));
    if (!since && start + size >= TASKS * 0.6) since = new Date().toISOString();
  }
  if (gw.config.databaseUrl && gw.config.databaseSchema) {
    // As bench/fhir-api.ts does after its load: the visibility map, so index-only scans skip the heap.
    const client = new pg.Client({ connectionString: gw.config.databaseUrl });
    await client.connect();
    await client.query(`VACUUM ANALYZE ${['resources', 'idx_token', 'idx_reference', 'idx_date'].map((t) => `${gw.config.databaseSchema}.${t}`).join(', ')}`);
    await client.end();
  }
  console.log(`${gw.store.kind}: ${TASKS} Tasks loaded`);

  // Time the store calls the HTTP requests make (the routes and the audit middleware call this object).
  const calls: Record<'appendAudit' | 'readResource' | 'search', number[]> = { appendAudit: [], readResource: [], search: [] };
  const store = gw.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of Object.keys(calls) as (keyof typeof calls)[]) {
    const original = store[name].bind(gw.store);
    store[name] = async (...a: unknown[]) => {
      const t = performance.now();
      try {
        return await original(...a);
      } finally {
        calls[name].push(performance.now() - t);
      }
    };
  }
  const drain = () => Object.fromEntries(Object.entries(calls).map(([name, times]) => [name, times.splice(0)])) as typeof calls;

  const searchParams = (i: number) =>
    new URLSearchParams({ owner: `Organization/org-${(i * 37) % OWNERS}`, status: STATUSES[i % 3], _lastUpdated: `ge${since}`, _include: 'Task:focus' });
  const get = async (url: string) => {
    const response = await fetch(url, { headers: { accept: 'application/fhir+json' }, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
  };
  const ctx: RestContext = { tenant: 'default', baseUrl: gw.base, strict: false };
  const event = { resourceType: 'AuditEvent', recorded: new Date().toISOString(), agent: [{ requestor: true }], source: { observer: { display: 'bench' } } } as AuditEvent;

  report('HTTP read', await time((i) => get(`${gw.base}Task/task-${(i * 7919) % TASKS}`), drain));
  let made = drain();
  report('  its store read', made.readResource);
  report('  its audit append', made.appendAudit);
  report('HTTP search', await time((i) => get(`${gw.base}Task?${searchParams(i)}`), drain));
  made = drain();
  // Each search makes two store searches: the page, then the _include.
  report('  its store searches', made.search.filter((_, i) => i % 2 === 0).map((t, i) => t + (made.search[2 * i + 1] ?? 0)));
  report('  its audit append', made.appendAudit);
  report('HTTP /healthz (not audited)', await time(() => get(`${gw.base}healthz`)));
  report('REST read (no HTTP)', await time((i) => gw.rest.read(ctx, 'Task', `task-${(i * 7919) % TASKS}`)));
  report('REST search (no HTTP)', await time((i) => gw.rest.search(ctx, 'Task', searchParams(i), new URL(`${gw.base}Task?${searchParams(i)}`))));
  drain();
  report('store appendAudit alone', await time(() => gw.store.appendAudit('default', event)));
  // Throughput with 4 clients, where concurrent requests' audit appends can share a commit.
  let k = 0;
  const readsPerSecond = await runFor(5, 4, () => get(`${gw.base}Task/task-${(k++ * 7919) % TASKS}`));
  const searchesPerSecond = await runFor(5, 4, () => get(`${gw.base}Task?${searchParams(k++)}`));
  console.log(`4 clients x 5 s: ${readsPerSecond.toFixed(0)} reads/s, ${searchesPerSecond.toFixed(0)} searches/s`);
} finally {
  await gw.close();
}
