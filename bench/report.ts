// Benchmark of the referral outcome report (issue 9 evidence: "the report for 100,000
// referrals computes in well under a second"). Generates a seeded history, then times
// computeReferralReport over it (grouped by organisation and need category). The history
// is built in memory: this measures the computation, not the store.
// Run: node bench/report.ts [referrals]
import { performance } from 'node:perf_hooks';
import { computeReferralReport } from '../src/workflow/report/compute-report.ts';
import { PERIOD, generateReferralHistory } from '../test/workflow/support/referral-history-generator.ts';

const count = Number(process.argv[2] ?? 100_000);
const { input } = generateReferralHistory(count, 42);
const versions = input.referrals.reduce((n, r) => n + r.versions.length, 0);

// One warm-up run, then the best and the median of five.
computeReferralReport(input, { period: PERIOD, groupBy: ['organization', 'category'] });
// Wall time and CPU time (process.cpuUsage): on a shared machine the wall time includes
// waiting for a core, the CPU time does not.
const times: number[] = [];
const cpu: number[] = [];
let sent = 0;
for (let i = 0; i < 5; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = computeReferralReport(input, { period: PERIOD, groupBy: ['organization', 'category'] });
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  sent = report.overall.funnel.sent;
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
process.stdout.write(
  `referral report: ${count} referrals (${versions} Task versions, ${input.procedures.length} procedures, ${input.carePlans.length} care plans; ${sent} sent in the period)\n` +
    `computeReferralReport: wall best ${times[0].toFixed(1)} ms, median ${times[2].toFixed(1)} ms; CPU best ${cpu[0].toFixed(1)} ms, median ${cpu[2].toFixed(1)} ms (5 runs)\n`,
);
