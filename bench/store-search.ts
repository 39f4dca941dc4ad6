// Store search benchmark: Tasks by owner + status + _lastUpdated range over 100,000 Tasks,
// on SQLite and (when DATABASE_URL is set) PostgreSQL, through the store's index tables.
// Usage: node bench/store-search.ts [--tasks 100000] [--queries 300] [--explain]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Task } from '@medplum/fhirtypes';
import { DatabaseSync } from 'node:sqlite';
import { openStore } from '../src/store/open.ts';
import { numberPlaceholders } from '../src/store/postgres/pg-runner.ts';
import { planSearch } from '../src/store/search/plan.ts';
import type { IndexEntry, Indexer, SearchQuery, Store } from '../src/store/store.ts';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    explain: { type: 'boolean', default: false },
  },
});
const TASKS = Number(args.tasks);
const QUERIES = Number(args.queries);
const OWNERS = 200;
const PATIENTS = 5000;
const STATUSES: Task['status'][] = ['requested', 'accepted', 'in-progress', 'completed', 'rejected', 'cancelled'];
const START = Date.parse('2025-01-01T00:00:00.000Z');
const SPAN = 100 * 24 * 3600 * 1000;
const TENANT = 'bench';

// The indexer the FHIR layer would derive from the Task search parameters this bench uses.
const indexer: Indexer = (resource) => {
  const task = resource as Task;
  const entries: IndexEntry[] = [{ param: 'status', kind: 'token', system: 'http://hl7.org/fhir/task-status', value: task.status }];
  for (const [param, ref] of [
    ['owner', task.owner],
    ['focus', task.focus],
    ['patient', task.for],
    ['requester', task.requester],
  ] as const) {
    if (ref?.reference) {
      entries.push({ param, kind: 'reference', value: ref.reference });
    }
  }
  for (const id of task.identifier ?? []) {
    entries.push({ param: 'identifier', kind: 'token', system: id.system ?? '', value: id.value });
  }
  if (task.authoredOn) {
    const t = Date.parse(task.authoredOn);
    entries.push({ param: 'authored-on', kind: 'date', low: t, high: t + 999 });
  }
  for (const profile of task.meta?.profile ?? []) {
    entries.push({ param: '_profile', kind: 'token', value: profile });
  }
  return entries;
};

function makeTask(i: number): Task & { id: string } {
  return {
    resourceType: 'Task',
    id: `task-${i}`,
    meta: { profile: ['http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement'] },
    identifier: [{ system: 'urn:bench:referral', value: `R-${i}` }],
    status: STATUSES[i % STATUSES.length],
    intent: 'order',
    focus: { reference: `ServiceRequest/sr-${i}` },
    for: { reference: `Patient/pat-${i % PATIENTS}` },
    requester: { reference: 'PractitionerRole/requester-1' },
    owner: { reference: `Organization/org-${(i * 7) % OWNERS}` },
    authoredOn: new Date(START + Math.floor((i / TASKS) * SPAN)).toISOString(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function query(n: number): SearchQuery {
  const owner = `Organization/org-${(n * 37) % OWNERS}`;
  const since = new Date(START + SPAN * 0.6).toISOString();
  return {
    resourceType: 'Task',
    filters: [
      { kind: 'reference', param: 'owner', values: [owner] },
      { kind: 'token', param: 'status', values: [{ code: n % 2 ? 'requested' : 'in-progress' }, { code: 'accepted' }] },
      { kind: 'lastUpdated', values: [{ prefix: 'ge', value: since }] },
    ],
    sort: [{ param: '_lastUpdated', descending: true }],
    count: 20,
  };
}

async function load(store: Store): Promise<number> {
  const began = performance.now();
  const batch = 2000;
  for (let start = 0; start < TASKS; start += batch) {
    const tasks = Array.from({ length: Math.min(batch, TASKS - start) }, (_, k) => makeTask(start + k));
    await store.createMany(TENANT, tasks);
  }
  return performance.now() - began;
}

async function measure(label: string, store: Store): Promise<void> {
  // Warm up, then time each search (first page, total none) and a second page through the cursor.
  for (let n = 0; n < 20; n++) {
    await store.search(TENANT, query(n));
  }
  const firstPage: number[] = [];
  const nextPage: number[] = [];
  let matched = 0;
  for (let n = 0; n < QUERIES; n++) {
    let t = performance.now();
    const page = await store.search(TENANT, query(n));
    firstPage.push(performance.now() - t);
    matched += page.versions.length;
    if (page.next) {
      t = performance.now();
      await store.search(TENANT, { ...query(n), cursor: page.next });
      nextPage.push(performance.now() - t);
    }
  }
  const withTotal: number[] = [];
  for (let n = 0; n < Math.min(QUERIES, 100); n++) {
    const t = performance.now();
    await store.search(TENANT, { ...query(n), total: 'accurate' });
    withTotal.push(performance.now() - t);
  }
  const report = (name: string, times: number[]) => {
    if (times.length === 0) {
      console.log(`${label.padEnd(9)} ${name.padEnd(26)} n=   0`);
      return;
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `${label.padEnd(9)} ${name.padEnd(26)} n=${String(sorted.length).padStart(4)}  p50 ${percentile(sorted, 50).toFixed(2)} ms  p95 ${percentile(sorted, 95).toFixed(2)} ms  max ${sorted.at(-1)?.toFixed(2)} ms`,
    );
  };
  report('search first page', firstPage);
  report('search next page (cursor)', nextPage);
  report('search + total=accurate', withTotal);
  console.log(`${label.padEnd(9)} average matches per page: ${(matched / QUERIES).toFixed(1)}`);
}

async function runSqlite(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'store-bench-'));
  let clock = START;
  const store = await openStore({ dataDir, indexer, now: () => (clock += SPAN / TASKS) });
  try {
    const ms = await load(store);
    console.log(`sqlite    loaded ${TASKS} Tasks in ${(ms / 1000).toFixed(1)} s (${Math.round(TASKS / (ms / 1000))}/s)`);
    await measure('sqlite', store);
    if (args.explain) {
      const plan = planSearch(TENANT, query(1), undefined, Date.now());
      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'), { readOnly: true });
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${plan.page.sql}`).all(...plan.page.params) as { detail: string }[];
      console.log(rows.map((row) => `sqlite    plan: ${row.detail}`).join('\n'));
      db.close();
    }
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runPostgres(url: string): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  let clock = START;
  const store = await openStore({ databaseUrl: url, dataDir: '.', schema, indexer, now: () => (clock += SPAN / TASKS) });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ms = await load(store);
    await client.query(`ANALYZE ${schema}.resources, ${schema}.idx_token, ${schema}.idx_reference, ${schema}.idx_date`);
    console.log(`postgres  loaded ${TASKS} Tasks in ${(ms / 1000).toFixed(1)} s (${Math.round(TASKS / (ms / 1000))}/s)`);
    await measure('postgres', store);
    if (args.explain) {
      const plan = planSearch(TENANT, query(1), undefined, Date.now());
      await client.query(`SET search_path = ${schema}`);
      const result = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ANALYZE ${numberPlaceholders(plan.page.sql)}`, plan.page.params);
      console.log(result.rows.map((row) => `postgres  plan: ${row['QUERY PLAN']}`).join('\n'));
    }
  } finally {
    await store.close();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

await runSqlite();
if (process.env.DATABASE_URL) {
  await runPostgres(process.env.DATABASE_URL);
} else {
  console.log('postgres  skipped: DATABASE_URL is not set');
}
