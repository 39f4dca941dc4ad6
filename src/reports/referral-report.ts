// The referral report at the edge: read the facts of the platform tenant from the store,
// compute (pure, src/workflow/report/), and say how long each half took.
import { performance } from 'node:perf_hooks';
import type { Store } from '../store/store.ts';
import { computeReferralReport } from '../workflow/report/compute-report.ts';
import type { ReferralReport, ReportDimension } from '../workflow/report/report-types.ts';
import { forOrganization } from './organization-filter.ts';
import { readReportInput } from './read-report-input.ts';
import type { ReportPeriod } from './report-request.ts';

/** Reports read the platform tenant, where the gateway keeps the referrals it coordinates. */
export const PLATFORM_TENANT = 'default';

export interface ReferralReportRun {
  report: ReferralReport;
  /** Wall-clock milliseconds spent reading the store and computing. */
  readMs: number;
  computeMs: number;
  /** CPU milliseconds of this process in each half (on a busy machine wall time includes waiting for a core). */
  readCpuMs: number;
  computeCpuMs: number;
  referrals: number;
}

export async function runReferralReport(
  store: Store,
  options: {
    period: ReportPeriod;
    organization?: string;
    tenant?: string;
    groupBy?: readonly ReportDimension[];
    pageSize?: number;
    /** Where the facts are read from (read-report-input.ts); the projection by default. */
    source?: 'projection' | 'history';
    onPhase?: (phase: string, ms: number) => void;
  },
): Promise<ReferralReportRun> {
  const cpu = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let input = await readReportInput(store, { tenant: options.tenant ?? PLATFORM_TENANT, period: options.period, pageSize: options.pageSize, source: options.source, onPhase: options.onPhase });
  const t1 = performance.now();
  const readCpuMs = cpu(c0);
  const c1 = process.cpuUsage();
  if (options.organization !== undefined) input = forOrganization(input, options.organization, options.period.end);
  const report = computeReferralReport(input, { period: options.period, groupBy: options.groupBy ?? ['organization', 'category'] });
  const t2 = performance.now();
  return { report, readMs: t1 - t0, computeMs: t2 - t1, readCpuMs, computeCpuMs: cpu(c1), referrals: input.referrals.length + (input.summaryGroups ?? []).reduce((n, g) => n + g.count, 0) };
}
