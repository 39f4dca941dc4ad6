// Benchmark of the referral report end to end through the store (issue 9 evidence: "the
// report for 100,000 referrals computes in well under a second on SQLite and on PostgreSQL").
// Loads a seeded history of N referrals (Task versions stamped at their own times, their
// ServiceRequests, Procedures, CarePlans, Goal versions, dead letters) into a fresh SQLite
// file, and into a fresh PostgreSQL schema when DATABASE_URL is set, then runs the report the
// HTTP route and the CLI run: read the facts from the store, then compute. The read and the
// computation are timed separately; the report is checked against the computation over the
// generated facts in memory. The store is opened without a search indexer (the report reads
// history, readMany and an unfiltered CarePlan search), which makes loading faster and does
// not change what is read.
// Run: node bench/report-store.ts [referrals]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { runReferralReport } from '../src/reports/referral-report.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/store.ts';
import { computeReferralReport } from '../src/workflow/report/compute-report.ts';
import { type Clock, loadHistory } from '../test/reports/support/load-history.ts';
import { dropSchema, uniqueSchema } from '../test/store/open-test-store.ts';
import { PERIOD, generateReferralHistory } from '../test/workflow/support/referral-history-generator.ts';

const count = Number(process.argv[2] ?? 100_000);
const RUNS = 3;
const { input } = generateReferralHistory(count, 42);
const versions = input.referrals.reduce((n, r) => n + r.versions.length, 0);
const goalVersions = input.carePlans.reduce((n, cp) => n + cp.goals.reduce((m, g) => m + Math.max(1, g.history.length), 0), 0);
const expected = computeReferralReport(input, { period: PERIOD, groupBy: ['organization', 'category'] });
const out = (s: string) => process.stdout.write(`${s}\n`);

out(
  `referral report through the store: ${count} referrals (${versions} Task versions, ${input.procedures.length} procedures, ` +
    `${input.carePlans.length} care plans, ${goalVersions} Goal versions, ${input.pendingSyncFailures} dead letters; ${expected.overall.funnel.sent} sent in the period)`,
);

async function bench(kind: string, store: Store, clock: Clock): Promise<void> {
  const l0 = performance.now();
  await loadHistory(store, clock, input);
  out(`${kind}: loaded in ${((performance.now() - l0) / 1000).toFixed(1)} s`);
  const runs: { readMs: number; computeMs: number; readCpuMs: number; computeCpuMs: number; totalMs: number; cpuMs: number }[] = [];
  let matches = true;
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const phases: string[] = [];
    const run = await runReferralReport(store, { period: PERIOD, onPhase: (name, ms) => phases.push(`${name} ${ms.toFixed(0)}`) });
    const totalMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    runs.push({ readMs: run.readMs, computeMs: run.computeMs, readCpuMs: run.readCpuMs, computeCpuMs: run.computeCpuMs, totalMs, cpuMs: (c.user + c.system) / 1000 });
    matches &&= isDeepStrictEqual(run.report, expected);
    out(
      `${kind}: run ${i + 1}: read ${run.readMs.toFixed(0)} ms wall / ${run.readCpuMs.toFixed(0)} ms CPU (${run.referrals} Task histories), ` +
        `compute ${run.computeMs.toFixed(1)} ms wall / ${run.computeCpuMs.toFixed(1)} ms CPU, ` +
        `end to end ${totalMs.toFixed(0)} ms wall, ${(runs[i].cpuMs).toFixed(0)} ms CPU of this process`,
    );
    out(`${kind}:   read phases (ms): ${phases.join(', ')}`);
  }
  const best = (k: 'readMs' | 'computeMs' | 'readCpuMs' | 'computeCpuMs' | 'totalMs') => Math.min(...runs.map((r) => r[k])).toFixed(0);
  out(
    `${kind}: best of ${RUNS}: read ${best('readMs')} ms wall / ${best('readCpuMs')} ms CPU, compute ${best('computeMs')} ms wall / ${best('computeCpuMs')} ms CPU, ` +
      `end to end ${best('totalMs')} ms wall; report equals the in-memory computation: ${matches ? 'yes' : 'NO'}`,
  );
  if (!matches) process.exitCode = 1;
}

{
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
  const clock: Clock = { now: 0 };
  const store = await openStore({ dataDir: dir, now: () => clock.now });
  try {
    await bench('sqlite', store, clock);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  const schema = uniqueSchema();
  const clock: Clock = { now: 0 };
  const store = await openStore({ databaseUrl, dataDir: '.', schema, now: () => clock.now });
  try {
    await bench('postgres', store, clock);
  } finally {
    await store.close();
    await dropSchema(databaseUrl, schema);
  }
} else {
  out('postgres: skipped (DATABASE_URL is not set)');
}
