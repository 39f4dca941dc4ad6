// Profiles the benchmark's work-list search on SQLite below the HTTP layer: the store search
// and the _include reads timed apart, and SQLite's query plan of the page query.
// On PostgreSQL (--postgres, DATABASE_URL) it prints EXPLAIN ANALYZE of the page query instead.
// Usage: node bench/fhir-api/profile.ts [--tasks 20000] [--postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ServiceRequest, Task } from '@medplum/fhirtypes';
import { collectIncludes } from '../../src/rest/includes.ts';
import { loadSearchParameters, packageSearchParameters } from '../../src/search/definitions.ts';
import { createIndexer } from '../../src/search/indexer.ts';
import { parseSearch } from '../../src/search/parse.ts';
import { toStoreQuery } from '../../src/search/to-store-query.ts';
import { planSearch } from '../../src/store/search/plan.ts';
import { openStore } from '../../src/store/open.ts';
import { packagesDir } from '../../test/support/packages-dir.ts';
import { makeOrganization, makeServiceRequest, makeTask, OWNERS, STATUSES } from './data.ts';
import { percentile } from './measure.ts';

const { values: args } = parseArgs({ options: { tasks: { type: 'string', default: '20000' }, postgres: { type: 'boolean', default: false } } });
const databaseUrl = args.postgres ? process.env.DATABASE_URL : undefined;
const schema = `profile_${randomBytes(4).toString('hex')}`;
const TASKS = Number(args.tasks);
const packages = packagesDir();
if (!packages) {
  throw new Error('FHIR packages not found: set FHIR_PACKAGES_DIR');
}
const parameters = loadSearchParameters(packageSearchParameters(packages));
const dataDir = mkdtempSync(path.join(tmpdir(), 'fhir-api-profile-'));
const store = await openStore({ dataDir, databaseUrl, schema: databaseUrl ? schema : undefined, indexer: createIndexer(parameters) });
try {
  await store.createMany('default', Array.from({ length: OWNERS }, (_, i) => makeOrganization(i)));
  let since = '';
  for (let start = 0; start < TASKS; start += 1000) {
    const size = Math.min(1000, TASKS - start);
    await store.createMany<ServiceRequest>('default', Array.from({ length: size }, (_, k) => makeServiceRequest(start + k)));
    await store.createMany<Task>('default', Array.from({ length: size }, (_, k) => makeTask(start + k)));
    if (!since && start + size >= TASKS * 0.6) since = new Date().toISOString();
  }
  const parsed = (n: number) =>
    parseSearch(
      'Task',
      new URLSearchParams({ owner: `Organization/org-${(n * 37) % OWNERS}`, status: STATUSES[n % 3], _lastUpdated: `ge${since}`, _include: 'Task:focus' }),
      parameters,
      { strict: false, baseUrl: 'http://localhost/' },
    );
  const searchTimes: number[] = [];
  const includeTimes: number[] = [];
  for (let n = 0; n < 100; n++) {
    const p = parsed(n);
    let t = performance.now();
    const result = await store.search('default', toStoreQuery(p, parameters));
    searchTimes.push(performance.now() - t);
    t = performance.now();
    await collectIncludes(store, 'default', parameters, p, result.versions);
    includeTimes.push(performance.now() - t);
  }
  for (const [name, times] of [['store search', searchTimes], ['includes', includeTimes]] as const) {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`${name.padEnd(13)} p50 ${percentile(sorted, 50).toFixed(2)} ms  p95 ${percentile(sorted, 95).toFixed(2)} ms`);
  }
  const plan = planSearch('default', toStoreQuery(parsed(1), parameters), undefined, Date.now());
  console.log(plan.page.sql);
  console.log(JSON.stringify(toStoreQuery(parsed(1), parameters).filters));
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      await client.query('ANALYZE');
      let i = 0;
      const text = plan.page.sql.replace(/\?/g, () => `$${++i}`);
      const explained = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, plan.page.params);
      for (const row of explained.rows as Record<string, string>[]) console.log(Object.values(row)[0]);
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  } else {
    const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
    for (const row of db.prepare(`EXPLAIN QUERY PLAN ${plan.page.sql}`).all(...(plan.page.params as (string | number)[]))) console.log(row);
    db.close();
  }
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
