// @ts-check
// Outcomes: the referral outcome report (GET /reports/referrals, here through the admin
// console API) as charts: the funnel, time to acceptance, first service and completion, the
// client-defined goals, and referrals per organisation; for a period and an organisation.
import { api, ApiError } from '../api.js';
import { barChart } from '../charts.js';
import { field, h, message, replace, select } from '../dom.js';

/**
 * @typedef {{ count: number; medianHours: number | null; p90Hours: number | null }} Duration
 * @typedef {{ sent: number; accepted: number; rejected: number; rejectedByReason: Record<string, number>; awaiting: number; inProgress: number; completed: number; failed: number; cancelled: number; closedLoop: number; closedLoopRate: number | null }} Funnel
 * @typedef {{ carePlans: number; carePlansWithClientDefinedGoals: number; clientDefinedShare: number | null; goals: number; goalsByDefiner: Record<string, number>; goalsAchieved: number; goalsProgressing: number; achievedOrProgressingShare: number | null; stepsRecorded: number }} Goals
 * @typedef {{ funnel: Funnel; timeliness: { toAcceptance: Duration; toFirstService: Duration; toCompletion: Duration }; goals: Goals; dataQuality: { missingConsent: number; outcomesWithoutProcedure: number } }} Figures
 * @typedef {{ period: { start: string; end: string }; overall: Figures; byOrganization?: { key: string; figures: Figures }[]; pendingSyncFailures: number; organization?: string }} Report
 */

/** @param {Date} d */
const isoDay = (d) => d.toISOString().slice(0, 10);

/** @param {number | null} share */
const percent = (share) => (share === null ? 'n/a' : `${(share * 100).toFixed(0)} %`);

/** @param {number | null} hours */
const hoursText = (hours) => (hours === null ? 'n/a' : hours < 48 ? `${Math.max(0, hours).toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`);

/**
 * @param {string} label
 * @param {string} value
 * @param {string} key
 */
function kpi(label, value, key) {
  return h('div', { class: 'kpi', 'data-kpi': key }, h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-label' }, label));
}

/** @param {HTMLElement} root */
export async function renderOutcomes(root) {
  const today = new Date();
  const from = h('input', { type: 'date', name: 'from', required: true, value: isoDay(new Date(Date.UTC(today.getUTCFullYear(), 0, 1))) });
  const to = h('input', { type: 'date', name: 'to', required: true, value: isoDay(today) });
  const organization = select([{ value: '', label: 'All organisations' }], { name: 'organization' });
  const out = h('div', { id: 'outcomes-output' });
  const form = h('form', { 'aria-label': 'Report filters' }, h('div', { class: 'inline-fields' }, field('Period from', from), field('Period to', to), field('Organisation', organization), h('button', { type: 'submit' }, 'Show report')));
  replace(root, h('h1', {}, 'Outcomes'), form, out);

  /** @type {Set<string>} */
  const known = new Set();
  /** @param {string} org @param {string} [name] */
  const addOrg = (org, name) => {
    if (known.has(org)) return;
    known.add(org);
    organization.append(h('option', { value: org }, name ? `${name} (${org})` : org));
  };
  try {
    const partners = /** @type {{ partners: { organization: string; name: string }[] }} */ (await api('/admin/partners'));
    for (const p of partners.partners) addOrg(p.organization, p.name);
  } catch {
    // The report's own organisations are added below.
  }

  async function load() {
    replace(out, message('info', 'Computing the report...'));
    try {
      const report = /** @type {Report} */ (await api('/admin/console/report', { query: { period: `${from.value}/${to.value}`, organization: organization.value } }));
      for (const o of report.byOrganization ?? []) addOrg(o.key);
      show(report);
    } catch (error) {
      replace(out, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'The report failed'));
    }
  }

  /** @param {Report} report */
  function show(report) {
    const f = report.overall.funnel;
    const t = report.overall.timeliness;
    const g = report.overall.goals;
    const scope = report.organization ? `for ${report.organization}` : 'for all organisations';
    const funnel = barChart(
      'Referral funnel',
      [
        { key: 'sent', label: 'Sent', value: f.sent },
        { key: 'accepted', label: 'Accepted', value: f.accepted },
        { key: 'inProgress', label: 'In progress', value: f.inProgress, tone: 'alt' },
        { key: 'completed', label: 'Completed', value: f.completed, tone: 'ok' },
        { key: 'closedLoop', label: 'Outcome reported back', value: f.closedLoop, tone: 'ok' },
        { key: 'awaiting', label: 'Awaiting an answer', value: f.awaiting, tone: 'alt' },
        { key: 'rejected', label: 'Declined', value: f.rejected, tone: 'bad' },
        { key: 'cancelled', label: 'Cancelled', value: f.cancelled, tone: 'bad' },
        { key: 'failed', label: 'Failed', value: f.failed, tone: 'bad' },
      ],
      { id: 'chart-funnel', note: Object.keys(f.rejectedByReason).length ? `Declined by reason: ${Object.entries(f.rejectedByReason).map(([k, v]) => `${k}: ${v}`).join(', ')}` : undefined },
    );
    const times = barChart(
      'Time to acceptance, first service and completion (median and 90th percentile)',
      [
        { key: 'acceptance-median', label: `Acceptance, median (n=${t.toAcceptance.count})`, value: t.toAcceptance.medianHours, display: hoursText(t.toAcceptance.medianHours) },
        { key: 'acceptance-p90', label: 'Acceptance, p90', value: t.toAcceptance.p90Hours, display: hoursText(t.toAcceptance.p90Hours), tone: 'alt' },
        { key: 'first-service-median', label: `First service, median (n=${t.toFirstService.count})`, value: t.toFirstService.medianHours, display: hoursText(t.toFirstService.medianHours) },
        { key: 'first-service-p90', label: 'First service, p90', value: t.toFirstService.p90Hours, display: hoursText(t.toFirstService.p90Hours), tone: 'alt' },
        { key: 'completion-median', label: `Completion, median (n=${t.toCompletion.count})`, value: t.toCompletion.medianHours, display: hoursText(t.toCompletion.medianHours) },
        { key: 'completion-p90', label: 'Completion, p90', value: t.toCompletion.p90Hours, display: hoursText(t.toCompletion.p90Hours), tone: 'alt' },
      ],
      { id: 'chart-times' },
    );
    const goals = barChart(
      'Client-defined goals',
      [
        { key: 'carePlans', label: 'Care plans', value: g.carePlans },
        { key: 'carePlansWithClientDefinedGoals', label: 'With client-defined goals', value: g.carePlansWithClientDefinedGoals, tone: 'ok' },
        { key: 'goals', label: 'Goals', value: g.goals },
        ...Object.entries(g.goalsByDefiner).map(([definer, n]) => ({ key: `definer-${definer}`, label: `Defined by ${definer}`, value: n, tone: /** @type {'alt'} */ ('alt') })),
        { key: 'goalsAchieved', label: 'Achieved', value: g.goalsAchieved, tone: 'ok' },
        { key: 'goalsProgressing', label: 'Progressing', value: g.goalsProgressing, tone: 'alt' },
      ],
      { id: 'chart-goals' },
    );
    const byOrg = (report.byOrganization ?? []).flatMap((o) => [
      { key: `${o.key}-sent`, label: `${o.key.replace(/^Organization\//, '')} sent`, value: o.figures.funnel.sent },
      { key: `${o.key}-completed`, label: `${o.key.replace(/^Organization\//, '')} completed`, value: o.figures.funnel.completed, tone: /** @type {'ok'} */ ('ok') },
    ]);
    replace(
      out,
      h('p', { class: 'hint', id: 'report-scope' }, `${new Date(report.period.start).toISOString().slice(0, 10)} to ${new Date(Date.parse(report.period.end) - 1).toISOString().slice(0, 10)}, ${scope}.`),
      h(
        'div',
        { class: 'kpis' },
        kpi('Referrals sent', String(f.sent), 'sent'),
        kpi('Closed-loop rate', percent(f.closedLoopRate), 'closedLoopRate'),
        kpi('Care plans with client-defined goals', percent(g.clientDefinedShare), 'clientDefinedShare'),
        kpi('Goals achieved or progressing', percent(g.achievedOrProgressingShare), 'achievedOrProgressingShare'),
        kpi('Sync failures waiting', String(report.pendingSyncFailures), 'pendingSyncFailures'),
      ),
      h('div', { class: 'charts' }, funnel, times, goals, byOrg.length ? barChart('Referrals per organisation', byOrg, { id: 'chart-organizations' }) : null),
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  await load();
}
