// The coordinator's `part-of` search (Task?part-of=Task/x, with the platform's absolute URL as
// a second value) on PostgreSQL, over Tasks written one at a time as intake writes them: half
// sources, half mirrors partOf a source. Prints the search latency and the page query's plan.
// Usage: node bench/fhir-api/part-of.ts [sources, default 3000] [--analyze]   (DATABASE_URL, FHIR_PACKAGES_DIR)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Task } from '@medplum/fhirtypes';
import { loadSearchParameters, packageSearchParameters } from '../../src/search/definitions.ts';
import { createIndexer } from '../../src/search/indexer.ts';
import { planSearch } from '../../src/store/search/plan.ts';
import { numberPlaceholders } from '../../src/store/postgres/pg-runner.ts';
import { openStore } from '../../src/store/open.ts';

const N = Number(process.argv[2] ?? 3000);
const analyze = process.argv.includes('--analyze');
const url = process.env.DATABASE_URL!;
const parameters = loadSearchParameters(packageSearchParameters(process.env.FHIR_PACKAGES_DIR!));
const schema = `partof_${randomBytes(4).toString('hex')}`;
const store = await openStore({ databaseUrl: url, dataDir: '.', schema, indexer: createIndexer(parameters) });
const base = 'http://127.0.0.1:4000/';
const task = (id: string, partOf?: string): Task & { id: string } => ({
  resourceType: 'Task', id, status: 'requested', intent: 'order',
  code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
  focus: { reference: `ServiceRequest/sr-${id}` }, for: { reference: `Patient/p-${id}` },
  owner: { reference: 'Organization/org-1' },
  ...(partOf ? { partOf: [{ reference: partOf }] } : {}),
});
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`SET search_path = ${schema}`);
try {
  // Written one at a time, as intake does.
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    await store.createResource('default', task(`src-${i}`));
    await store.createResource('default', task(`mir-${i}`, `${base}Task/src-${i}`));
  }
  console.log(`loaded ${2 * N} Tasks in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  if (analyze) await client.query('ANALYZE');
  const q = (i: number) => ({ resourceType: 'Task', filters: [{ kind: 'reference' as const, param: 'part-of', values: [`Task/src-${i}`, `${base}Task/src-${i}`] }], count: 1000 });
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    t = performance.now();
    const r = await store.search('default', q(i));
    times.push(performance.now() - t);
    if (r.versions.length !== 1) throw new Error(`found ${r.versions.length}`);
  }
  times.sort((a, b) => a - b);
  console.log(`part-of search p50 ${times[25].toFixed(2)} ms max ${times[49].toFixed(2)} ms`);
  const plan = planSearch('default', q(7), undefined, Date.now());
  console.log(plan.page.sql);
  const ex = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${numberPlaceholders(plan.page.sql)}`, plan.page.params);
  for (const row of ex.rows) console.log(row['QUERY PLAN']);
  const st = await client.query(`select relname, n_live_tup, last_autoanalyze, last_analyze from pg_stat_user_tables where schemaname = $1 order by 1`, [schema]);
  console.table(st.rows);
} finally {
  await store.close();
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
}
