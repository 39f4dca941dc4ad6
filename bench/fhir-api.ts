// FHIR API benchmark over HTTP: reads/s, searches/s and writes/s, and the latency of the
// referral work-list search
//   Task?owner=Organization/X&status=S&_lastUpdated=ge<T>&_include=Task:focus
// over N Tasks (default 100,000), for the gateway on SQLite and on PostgreSQL (when
// DATABASE_URL is set), beside the reference EHR (Medplum's FhirRouter + MemoryRepository over
// HTTP) on the same machine in the same run. The bar: search p95 under 50 ms.
// Usage: node bench/fhir-api.ts [--tasks 100000] [--ehr-tasks 20000] [--seconds 5] [--concurrency 4] [--searches 300]
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Organization, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { startTestGateway, type StoreKind, type TestGateway } from '../test/support/gateway.ts';
import { startReferenceEhr } from '../test/support/reference-ehr.ts';
import { bootTargets, percentile, runFor, type Target } from './fhir-api/measure.ts';
import { makeOrganization, makeServiceRequest, makeTask, newTaskBody, OWNERS, STATUSES } from './fhir-api/data.ts';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    'ehr-tasks': { type: 'string', default: '' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    searches: { type: 'string', default: '300' },
  },
});
const TASKS = Number(args.tasks);
// The reference EHR keeps everything in memory and scans it for each search, so by default it
// holds at most 20,000 Tasks (a full run stays under ten minutes); --ehr-tasks overrides.
const EHR_TASKS = args['ehr-tasks'] ? Number(args['ehr-tasks']) : Math.min(TASKS, 20_000);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const SEARCHES = Number(args.searches);
const FHIR = { accept: 'application/fhir+json', 'content-type': 'application/fhir+json' };

interface Row {
  target: string;
  tasks: number;
  loadSeconds: number;
  readsPerSecond: number;
  searchesPerSecond: number;
  writesPerSecond: number;
  p50: number;
  p95: number;
  matchesPerPage: number;
  includesPerPage: number;
}

/** Loads Tasks with their focus ServiceRequests and owners; returns the instant 60 % into the load. */
async function loadGateway(gw: TestGateway, n: number): Promise<{ since: string; seconds: number }> {
  const began = performance.now();
  const tenant = 'default';
  await gw.store.createMany(tenant, Array.from({ length: OWNERS }, (_, i) => makeOrganization(i)));
  let since = '';
  const batch = 1000;
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    await gw.store.createMany<ServiceRequest>(tenant, Array.from({ length: size }, (_, k) => makeServiceRequest(start + k)));
    await gw.store.createMany<Task>(tenant, Array.from({ length: size }, (_, k) => makeTask(start + k)));
    if (start % 20_000 === 0 && start > 0) {
      process.stdout.write(`  loaded ${start} Tasks (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
    }
    if (!since && start + size >= n * 0.6) {
      since = new Date().toISOString();
    }
  }
  return { since, seconds: (performance.now() - began) / 1000 };
}

async function loadReferenceEhr(repo: { createResource<T extends Resource>(r: T): Promise<T> }, n: number): Promise<{ since: string; seconds: number }> {
  const began = performance.now();
  for (let i = 0; i < OWNERS; i++) await repo.createResource<Organization>(makeOrganization(i));
  let since = '';
  for (let i = 0; i < n; i++) {
    await repo.createResource<ServiceRequest>(makeServiceRequest(i));
    await repo.createResource<Task>(makeTask(i));
    if (!since && i >= n * 0.6) {
      // Medplum's lastUpdated has millisecond precision; leave a gap so `ge` splits cleanly.
      await new Promise((r) => setTimeout(r, 2));
      since = new Date().toISOString();
    }
  }
  return { since, seconds: (performance.now() - began) / 1000 };
}

function searchUrl(base: string, n: number, since: string): URL {
  const url = new URL('Task', base);
  url.searchParams.set('owner', `Organization/org-${(n * 37) % OWNERS}`);
  url.searchParams.set('status', STATUSES[n % 3]);
  url.searchParams.set('_lastUpdated', `ge${since}`);
  url.searchParams.set('_include', 'Task:focus');
  return url;
}

async function measure(target: Target, n: number, since: string, loadSeconds: number): Promise<Row> {
  const get = async (url: URL) => {
    const response = await fetch(url, { headers: FHIR, signal: AbortSignal.timeout(30_000) });
    if (response.status !== 200) throw new Error(`${target.name}: GET ${url.pathname} answered ${response.status}`);
    return response.json() as Promise<{ entry?: { search?: { mode?: string } }[] }>;
  };
  // Warm up every path.
  for (let i = 0; i < 20; i++) {
    await get(searchUrl(target.base, i, since));
    await get(new URL(`Task/task-${i}`, target.base));
  }
  // Latency: one client, one search after the other.
  const times: number[] = [];
  let matches = 0;
  let includes = 0;
  for (let i = 0; i < SEARCHES; i++) {
    const t = performance.now();
    const bundle = await get(searchUrl(target.base, i, since));
    times.push(performance.now() - t);
    matches += bundle.entry?.filter((e) => e.search?.mode === 'match').length ?? 0;
    includes += bundle.entry?.filter((e) => e.search?.mode === 'include').length ?? 0;
  }
  times.sort((a, b) => a - b);
  // Throughput: CONCURRENCY clients for SECONDS each.
  let k = 0;
  const readsPerSecond = await runFor(SECONDS, CONCURRENCY, async () => {
    await get(new URL(`Task/task-${(k++ * 7919) % n}`, target.base));
  });
  const searchesPerSecond = await runFor(SECONDS, CONCURRENCY, async () => {
    await get(searchUrl(target.base, k++, since));
  });
  const writesPerSecond = await runFor(SECONDS, CONCURRENCY, async () => {
    const response = await fetch(new URL('Task', target.base), { method: 'POST', headers: FHIR, body: JSON.stringify(newTaskBody(k++)), signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`${target.name}: create answered ${response.status}`);
  });
  return {
    target: target.name,
    tasks: n,
    loadSeconds,
    readsPerSecond,
    searchesPerSecond,
    writesPerSecond,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    matchesPerPage: matches / SEARCHES,
    includesPerPage: includes / SEARCHES,
  };
}

async function benchGateway(kind: StoreKind): Promise<Row> {
  const gw = await startTestGateway(kind, { logLevel: 'warn' });
  try {
    const { since, seconds } = await loadGateway(gw, TASKS);
    if (kind === 'postgres' && gw.config.databaseUrl && gw.config.databaseSchema) {
      const client = new pg.Client({ connectionString: gw.config.databaseUrl });
      await client.connect();
      try {
        // What autovacuum does after a bulk load (the development server has it off): a visibility
        // map so the index-only scans of the index tables skip the heap. The store keeps the
        // planner statistics itself; ANALYZE here only makes them exact for the measurement.
        await client.query(`VACUUM ANALYZE ${gw.config.databaseSchema}.resources, ${gw.config.databaseSchema}.idx_token, ${gw.config.databaseSchema}.idx_reference, ${gw.config.databaseSchema}.idx_date`);
      } finally {
        await client.end();
      }
    }
    return await measure({ name: `gateway ${kind}`, base: gw.base }, TASKS, since, seconds);
  } finally {
    await gw.close();
  }
}

async function benchReferenceEhr(): Promise<Row> {
  const ehr = await startReferenceEhr({ maxPageSize: 1000 });
  try {
    const { since, seconds } = await loadReferenceEhr(ehr.repo, EHR_TASKS);
    return await measure({ name: 'reference EHR', base: ehr.baseUrl }, EHR_TASKS, since, seconds);
  } finally {
    await ehr.close();
  }
}

const rows: Row[] = [];
for (const [label, run] of bootTargets(process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '', benchGateway, benchReferenceEhr)) {
  process.stdout.write(`running ${label} ...\n`);
  const row = await run();
  rows.push(row);
  process.stdout.write(
    `  ${row.target}: ${row.tasks} Tasks loaded in ${row.loadSeconds.toFixed(1)} s; search p50 ${row.p50.toFixed(1)} ms p95 ${row.p95.toFixed(1)} ms; ${row.readsPerSecond.toFixed(0)} reads/s, ${row.searchesPerSecond.toFixed(0)} searches/s, ${row.writesPerSecond.toFixed(0)} writes/s\n`,
  );
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const header = ['target', 'Tasks', 'load s', 'reads/s', 'searches/s', 'writes/s', 'search p50 ms', 'search p95 ms', 'matches/page', 'included/page', 'bar (p95<50ms)'];
const lines = rows.map((r) => [
  r.target,
  String(r.tasks),
  fmt(r.loadSeconds, 1),
  fmt(r.readsPerSecond),
  fmt(r.searchesPerSecond),
  fmt(r.writesPerSecond),
  fmt(r.p50, 1),
  fmt(r.p95, 1),
  fmt(r.matchesPerPage, 1),
  fmt(r.includesPerPage, 1),
  r.target.startsWith('gateway') ? (r.p95 < 50 ? 'met' : 'MISSED') : '-',
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const print = (cells: string[]) => console.log(`| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`);
console.log('');
print(header);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
lines.forEach(print);
console.log('');
console.log(`search: Task?owner=Organization/org-N&status=S&_lastUpdated=ge<60% into the load>&_include=Task:focus, ${SEARCHES} sequential; throughput: ${CONCURRENCY} clients x ${SECONDS} s each; writes are validated SDOHCC Tasks (gateway)`);
if (EHR_TASKS !== TASKS) {
  console.log(`the reference EHR held ${EHR_TASKS} Tasks (in-memory repository; --ehr-tasks), not ${TASKS}`);
}
if (!process.env.DATABASE_URL) {
  console.log('gateway postgres skipped: DATABASE_URL is not set');
}
