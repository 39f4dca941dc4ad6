// @ts-check
// Referrals: search the platform's record by status, organisation (owner) and date
// authored; open one to see its timeline: the source Task's status changes, each downstream
// Task's (the organisation's side), the deliveries to the EHR and partners, and outcomes.
import { api, ApiError } from '../api.js';
import { field, h, message, replace, select, table, when } from '../dom.js';

/**
 * @typedef {{ id: string; status: string; owner?: string; requester?: string; authoredOn?: string; lastUpdated: string; service?: string; outcomes: number }} ReferralRow
 * @typedef {{ at: string; side: 'source' | 'downstream' | 'delivery' | 'outcome'; subject: string; organization?: string; status: string; label: string; versionId?: string; attempts?: number }} TimelineEvent
 * @typedef {{ referral: { id: string; status: string; owner?: string; authoredOn?: string; downstream: { id: string; organization?: string }[] }; events: TimelineEvent[] }} Timeline
 */

const STATUSES = ['requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error', 'draft'];
const SIDES = { source: 'Referral (platform)', downstream: 'Organisation', delivery: 'Delivery', outcome: 'Outcome' };

/**
 * `Organization/id` of a relative or absolute reference, with the full reference as a tooltip.
 * @param {string} reference
 */
function org(reference) {
  const tail = /(Organization\/[^/]+)$/.exec(reference)?.[1] ?? reference;
  return h('code', { title: reference }, tail);
}

/** @param {string} status */
function statusBadge(status) {
  const kind = ['completed', 'accepted', 'in-progress', 'delivered'].includes(status) ? 'ok' : ['rejected', 'failed', 'cancelled', 'dead', 'entered-in-error'].includes(status) ? 'bad' : 'warn';
  return h('span', { class: `badge ${kind}` }, status);
}

/**
 * @param {HTMLElement} root
 * @param {string[]} args
 */
export async function renderReferrals(root, args) {
  const statusSelect = select([{ value: '', label: 'Any status' }, ...STATUSES.map((s) => ({ value: s, label: s }))], { name: 'status' });
  const orgInput = h('input', { type: 'text', name: 'organization', placeholder: 'Organization/demo-food-bank', list: 'org-list', size: 28 });
  const orgList = h('datalist', { id: 'org-list' });
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const form = h(
    'form',
    { 'aria-label': 'Search referrals' },
    h('div', { class: 'inline-fields' }, field('Status', statusSelect), field('Organisation (owner)', orgInput), orgList, field('Authored from', from), field('Authored to', to), h('button', { type: 'submit' }, 'Search')),
  );
  const results = h('div');
  const timeline = h('section', { 'aria-labelledby': 'timeline-title', id: 'timeline' });
  replace(root, h('h1', {}, 'Referrals'), form, results, timeline);

  try {
    const partners = /** @type {{ partners: { organization: string; name: string }[] }} */ (await api('/admin/partners'));
    for (const p of partners.partners) orgList.append(h('option', { value: p.organization }, p.name));
  } catch {
    // Suggestions only.
  }

  async function search() {
    replace(results, message('info', 'Searching...'));
    try {
      const data = /** @type {{ total?: number; referrals: ReferralRow[] }} */ (
        await api('/admin/console/referrals', { query: { status: statusSelect.value, organization: orgInput.value.trim(), from: from.value, to: to.value } })
      );
      replace(
        results,
        h('p', { id: 'referral-count' }, `${data.total ?? data.referrals.length} referrals${data.referrals.length < (data.total ?? 0) ? `, newest ${data.referrals.length} shown` : ''}.`),
        table(
          'Referrals',
          [{ label: 'Referral' }, { label: 'Status' }, { label: 'Organisation' }, { label: 'Service' }, { label: 'Authored' }, { label: 'Last change' }, { label: 'Outcomes', num: true }],
          data.referrals.map((r) => [
            h('a', { href: `#/referrals/${encodeURIComponent(r.id)}`, 'data-referral': r.id }, h('code', {}, r.id.length > 20 ? `${r.id.slice(0, 20)}...` : r.id)),
            statusBadge(r.status),
            r.owner ? org(r.owner) : '-',
            r.service ?? '-',
            when(r.authoredOn),
            when(r.lastUpdated),
            r.outcomes,
          ]),
          { id: 'referral-table' },
        ),
      );
    } catch (error) {
      replace(results, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Search failed'));
    }
  }

  /** @param {string} id */
  async function showTimeline(id) {
    replace(timeline, h('h2', { id: 'timeline-title' }, 'Timeline'), message('info', 'Loading...'));
    try {
      const data = /** @type {Timeline} */ (await api(`/admin/console/referrals/${encodeURIComponent(id)}/timeline`));
      const r = data.referral;
      replace(
        timeline,
        h('h2', { id: 'timeline-title', tabindex: '-1' }, 'Timeline of referral ', h('code', {}, r.id)),
        h(
          'p',
          {},
          'Now ',
          statusBadge(r.status),
          r.owner ? [' at ', org(r.owner)] : null,
          r.downstream.length ? `; downstream Tasks: ${r.downstream.map((d) => `${d.id} (${d.organization ?? 'unknown'})`).join(', ')}` : '; no downstream Task yet',
        ),
        table(
          'Referral timeline',
          [{ label: 'When' }, { label: 'Side' }, { label: 'What' }, { label: 'Status' }, { label: 'Detail' }],
          data.events.map((e) => [
            when(e.at),
            h('span', { class: 'side' }, SIDES[e.side]),
            h('span', {}, h('code', {}, e.subject), e.organization ? [' ', org(e.organization)] : null),
            statusBadge(e.status),
            `${e.label}${e.attempts !== undefined ? ` - ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : ''}${e.versionId ? ` - version ${e.versionId}` : ''}`,
          ]),
          { id: 'timeline-table', class: 'timeline' },
        ),
      );
      for (const [i, e] of data.events.entries()) timeline.querySelectorAll('tbody tr')[i]?.setAttribute('data-side', e.side);
      /** @type {HTMLElement | null} */ (timeline.querySelector('h2'))?.focus();
    } catch (error) {
      replace(timeline, h('h2', { id: 'timeline-title' }, 'Timeline'), message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Timeline failed'));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void search();
  });
  await search();
  if (args[0]) await showTimeline(args[0]);
}
