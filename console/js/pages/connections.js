// @ts-check
// Connections: every EHR and partner with its poll cursors, outbox depth, delivered items,
// dead letters and error rate; "Run sync now" runs one poll of every EHR and drains the outbox.
import { api, ApiError } from '../api.js';
import { announce, h, message, replace, table, when } from '../dom.js';

/**
 * @typedef {{ depth: number; pending: number; inFlight: number; delivered: number; dead: number; errorRate: number | null; failedAttempts: number; newestDeliveredQueuedAt?: string }} OutboxFigures
 * @typedef {{ name: string; destination: string; origin: string; pollSchedule: string; cursors: { organization: string; cursor?: string }[]; lastSuccessfulPoll?: string; outbox: OutboxFigures }} EhrView
 * @typedef {{ id: string; name: string; organization: string; tenant: string; mapping: string; hasWebhook: boolean; destination: string; outbox: OutboxFigures }} PartnerView
 * @typedef {{ syncRunning: boolean; syncInProgress: boolean; ehrs: EhrView[]; partners: PartnerView[]; otherDestinations: string[] }} Connections
 * @typedef {{ ehr: string; poll: { pages: number; seen: number; applied: number; unchanged: number; duplicates: number; refused: number; cursorsMoved: number } }} EhrCycle
 * @typedef {{ ms: number; ehrs: EhrCycle[]; outbox: { claimed: number; delivered: number; retried: number; parked: number; buried: number } }} CycleReport
 */

/** @param {number | null} rate */
function rateBadge(rate) {
  if (rate === null) return h('span', { class: 'badge info' }, 'no attempts');
  const pct = `${(rate * 100).toFixed(1)} %`;
  return h('span', { class: `badge ${rate === 0 ? 'ok' : rate < 0.2 ? 'warn' : 'bad'}` }, pct);
}

/** @param {HTMLElement} root */
export async function renderConnections(root) {
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div');
  const runButton = h('button', { type: 'button', id: 'run-sync' }, 'Run sync now');
  replace(
    root,
    h('h1', {}, 'Connections'),
    h('p', { class: 'hint' }, 'EHRs the gateway polls and pushes to, and partner organisations. Error rate: failed delivery attempts over all finished attempts to that destination.'),
    h('div', { class: 'toolbar' }, runButton, h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    status,
    body,
  );

  async function load() {
    const data = /** @type {Connections} */ (await api('/admin/console/connections'));
    runButton.disabled = !data.syncRunning;
    if (!data.syncRunning) runButton.title = 'Sync is not running in this gateway';
    replace(
      body,
      h('h2', {}, 'EHRs'),
      data.ehrs.length === 0
        ? h('p', {}, 'No EHR is configured.')
        : table(
            'EHR connections',
            [{ label: 'EHR' }, { label: 'Server' }, { label: 'Last successful poll (EHR time)' }, { label: 'Cursors' }, { label: 'Outbox depth', num: true }, { label: 'Delivered', num: true }, { label: 'Dead letters', num: true }, { label: 'Error rate' }, { label: 'Newest delivered item queued' }],
            data.ehrs.map((e) => [
              h('strong', {}, e.name),
              h('code', {}, e.origin),
              when(e.lastSuccessfulPoll),
              h('ul', { class: 'plain' }, ...e.cursors.map((c) => h('li', {}, h('code', {}, c.organization), ': ', c.cursor ? when(c.cursor) : 'never polled'))),
              e.outbox.depth,
              e.outbox.delivered,
              e.outbox.dead,
              rateBadge(e.outbox.errorRate),
              when(e.outbox.newestDeliveredQueuedAt),
            ]),
            { id: 'ehr-table' },
          ),
      h('h2', {}, 'Partners'),
      data.partners.length === 0
        ? h('p', {}, 'No partner is registered.')
        : table(
            'Partner organisations',
            [{ label: 'Partner' }, { label: 'Organisation' }, { label: 'Tenant' }, { label: 'Mapping' }, { label: 'Webhook' }, { label: 'Outbox depth', num: true }, { label: 'Delivered', num: true }, { label: 'Dead letters', num: true }, { label: 'Error rate' }, { label: 'Newest delivered item queued' }],
            data.partners.map((p) => [h('strong', {}, p.name), h('code', {}, p.organization), p.tenant, p.mapping, p.hasWebhook ? 'yes' : 'no (inbox only)', p.outbox.depth, p.outbox.delivered, p.outbox.dead, rateBadge(p.outbox.errorRate), when(p.outbox.newestDeliveredQueuedAt)]),
            { id: 'partner-table' },
          ),
      data.otherDestinations.length ? h('p', { class: 'hint' }, `Other outbox destinations: ${data.otherDestinations.join(', ')}`) : null,
    );
  }

  runButton.addEventListener('click', async () => {
    runButton.disabled = true;
    replace(status, message('info', 'Running a sync cycle...'));
    try {
      const report = /** @type {CycleReport} */ (await api('/admin/console/sync', { method: 'POST' }));
      const polled = report.ehrs.map((e) => `${e.ehr}: ${e.poll.pages} pages, ${e.poll.applied} applied, ${e.poll.unchanged} unchanged, ${e.poll.refused} refused`).join('; ');
      const text = `Sync cycle finished in ${(report.ms / 1000).toFixed(1)} s. ${polled || 'No EHR polled'}. Outbox: ${report.outbox.delivered} delivered, ${report.outbox.retried} to retry, ${report.outbox.buried} to dead letters.`;
      replace(status, message('success', h('span', { id: 'sync-result' }, text)));
      announce(text);
    } catch (error) {
      replace(status, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Sync failed'));
    } finally {
      runButton.disabled = false;
      await load();
    }
  });

  await load();
}
