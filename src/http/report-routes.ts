// GET /reports/referrals?period=start/end[&organization=Organization/x][&format=json|measurereport]
// (issue 9, "Reports"): the referral outcome report of the platform tenant, as JSON or as a
// FHIR R4 Bundle (type collection, bundle.html) of MeasureReports (measurereport.html, type
// summary) for the Measures shipped in src/workflow/measures/. Bad parameters: 400 with every
// problem. A partner credential sees only its own organisation's referrals and care plans.
import express, { type Request, type Response, type Router } from 'express';
import type { Bundle, MeasureReport, Organization, Reference } from '@medplum/fhirtypes';
import { DEFAULT_PLATFORM_ORGANIZATION } from '../coordination/platform.ts';
import { OperationOutcomeError, forbidden, methodNotAllowed } from '../fhir/index.ts';
import { PLATFORM_TENANT, runReferralReport } from '../reports/referral-report.ts';
import { parseReportRequest } from '../reports/report-request.ts';
import type { Store } from '../store/store.ts';
import { toMeasureReports } from '../workflow/report/measure-reports.ts';
import { deterministicId } from '../workflow/references.ts';
import { sendResource, type HttpModule } from './app.ts';
import type { Principal } from './auth.ts';

export const REPORT_FORMATS = ['json', 'measurereport'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportRoutesOptions {
  store: Store;
  baseUrl: string;
  /** MeasureReport.reporter; default the coordination platform's Organization. */
  reporter?: Reference<Organization>;
  now?: () => number;
}

/** The organisation a request may report on: a partner only on its own. */
function scopeOf(res: Response, asked: string | undefined): string | undefined {
  const principal = res.locals.principal as Principal | undefined;
  if (principal?.kind !== 'partner') return asked;
  if (res.locals.tenant !== PLATFORM_TENANT) {
    throw new OperationOutcomeError(forbidden('Reports cover the platform tenant; this credential belongs to another tenant'));
  }
  const own = principal.partner?.organization;
  if (own === undefined) {
    throw new OperationOutcomeError(forbidden('This credential names no organization to report on'));
  }
  if (asked !== undefined && asked !== own) {
    throw new OperationOutcomeError(forbidden("A partner credential may report only on its own organization", 'organization'));
  }
  return own;
}

function measureReportBundle(reports: MeasureReport[], baseUrl: string, timestamp: string): Bundle<MeasureReport> {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp,
    entry: reports.map((resource) => ({ fullUrl: new URL(`MeasureReport/${encodeURIComponent(resource.id ?? '')}`, baseUrl).href, resource })),
  };
}

export function reportRoutes(options: ReportRoutesOptions): Router {
  const router = express.Router();
  const now = options.now ?? Date.now;
  router.get('/reports/referrals', async (req: Request, res: Response) => {
    const request = parseReportRequest<ReportFormat>(req.query as Record<string, unknown>, REPORT_FORMATS);
    const organization = scopeOf(res, request.organization);
    const run = await runReferralReport(options.store, { period: request.period, ...(organization ? { organization } : {}) });
    res.setHeader('Server-Timing', `read;dur=${run.readMs.toFixed(1)}, compute;dur=${run.computeMs.toFixed(1)}`);
    if (request.format === 'json') {
      res.status(200).json(organization ? { organization, ...run.report } : run.report);
      return;
    }
    const date = new Date(now()).toISOString();
    const reports = toMeasureReports(run.report, { date, reporter: options.reporter ?? { reference: DEFAULT_PLATFORM_ORGANIZATION } });
    // A report narrowed to one organisation is another report: its own ids (R4 MeasureReport
    // has no element naming an Organization as the subject).
    if (organization) for (const mr of reports) mr.id = deterministicId('mr', mr.id ?? '', organization);
    sendResource(res, 200, measureReportBundle(reports, options.baseUrl, date));
  });
  router.all('/reports/referrals', () => {
    throw new OperationOutcomeError(methodNotAllowed('Only GET is allowed on /reports/referrals'));
  });
  return router;
}

export function reportModule(options: ReportRoutesOptions): HttpModule {
  return { router: reportRoutes(options) };
}
