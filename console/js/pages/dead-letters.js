// @ts-check
// Dead letters: outbox items that ran out of attempts, with the reason, a payload summary
// that shows technical ids only, and the attempts. Replay one or many: each becomes a new
// outbox item (the gateway audits every replay); the page then follows each new item until
// it is delivered or fails again.
import { api, ApiError } from '../api.js';
import { announce, h, message, replace, table, when } from '../dom.js';

/**
 * @typedef {{ resource?: string; tenant?: string; fields: Record<string, string> }} PayloadSummary
 * @typedef {{ id: string; outboxId: string; destination: string; orderingKey: string; reason: string; attempts: number; error: string; createdAt: string; payload: PayloadSummary }} DeadLetterView
 * @typedef {{ id: string; outcome: 'requeued' | 'not-found'; outboxId?: string; auditEvent?: string }} ReplayResult
 * @typedef {{ id: string; state: string; attempts: number; lastError?: string; destination: string }} OutboxItemView
 */

const POLL_MS = 1000;
const FOLLOW_MS = 180_000;

/** @param {PayloadSummary} p */
function payloadText(p) {
  const parts = [];
  if (p.resource) parts.push(p.resource);
  if (p.tenant) parts.push(`tenant ${p.tenant}`);
  const fields = Object.entries(p.fields).map(([k, v]) => `${k}: ${v}`);
  if (fields.length) parts.push(`(${fields.join(', ')})`);
  return parts.join(' ') || '(empty)';
}

/** @param {string} state */
function stateBadge(state) {
  const kind = state === 'done' ? 'ok' : state === 'dead' ? 'bad' : 'warn';
  return h('span', { class: `badge ${kind}`, 'data-state': state }, state === 'done' ? 'delivered' : state);
}

/** @param {HTMLElement} root */
export async function renderDeadLetters(root) {
  const status = h('div');
  const listArea = h('div');
  const replayed = h('tbody');
  const replayedSection = h(
    'section',
    { 'aria-labelledby': 'replayed-title', hidden: true, id: 'replayed' },
    h('h2', { id: 'replayed-title' }, 'Replayed in this session'),
    h('table', {}, h('caption', { class: 'visually-hidden' }, 'Replayed dead letters and their new outbox items'), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Dead letter'), h('th', { scope: 'col' }, 'New outbox item'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col', class: 'num' }, 'Attempts'), h('th', { scope: 'col' }, 'Audit'))), replayed),
  );
  const replaySelected = h('button', { type: 'button', id: 'replay-selected', disabled: true }, 'Replay selected');
  replace(
    root,
    h('h1', {}, 'Dead letters'),
    h('p', { class: 'hint' }, 'Deliveries that failed every attempt. Replaying puts the item back in the outbox as a new item; every replay is recorded in the audit trail.'),
    h('div', { class: 'toolbar' }, replaySelected, h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    status,
    listArea,
    replayedSection,
  );

  /** @type {Set<string>} */
  const selected = new Set();
  const updateButton = () => {
    replaySelected.disabled = selected.size === 0;
    replaySelected.textContent = selected.size > 1 ? `Replay ${selected.size} selected` : 'Replay selected';
  };

  async function load() {
    const data = /** @type {{ deadLetters: DeadLetterView[] }} */ (await api('/admin/console/dead-letters', { query: { _count: '200' } }));
    selected.clear();
    updateButton();
    if (data.deadLetters.length === 0) {
      replace(listArea, h('p', { id: 'no-dead-letters' }, 'No dead letters.'));
      return;
    }
    const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all dead letters' });
    /** @type {HTMLInputElement[]} */
    const boxes = [];
    const rows = data.deadLetters.map((d) => {
      const box = h('input', { type: 'checkbox', value: d.id, 'aria-label': `Select dead letter ${d.id.slice(0, 8)} (${d.reason}, ${d.destination})` });
      boxes.push(box);
      box.addEventListener('change', () => {
        if (box.checked) selected.add(d.id);
        else selected.delete(d.id);
        all.checked = selected.size === boxes.length;
        updateButton();
      });
      return [
        box,
        h('code', {}, d.id.slice(0, 8)),
        h('code', {}, d.destination),
        d.reason,
        h('span', { class: 'mono' }, payloadText(d.payload)),
        d.attempts,
        d.error,
        when(d.createdAt),
        h('button', { type: 'button', class: 'secondary', 'data-replay': d.id, onclick: () => void replay([d.id]), 'aria-label': `Replay dead letter ${d.id.slice(0, 8)}` }, 'Replay'),
      ];
    });
    all.addEventListener('change', () => {
      for (const box of boxes) {
        box.checked = all.checked;
        if (all.checked) selected.add(box.value);
        else selected.delete(box.value);
      }
      updateButton();
    });
    replace(
      listArea,
      table(
        'Dead letters',
        [{ label: '' }, { label: 'Id' }, { label: 'Destination' }, { label: 'Reason' }, { label: 'Payload' }, { label: 'Attempts', num: true }, { label: 'Last error' }, { label: 'Dead since' }, { label: 'Action' }],
        rows,
        { id: 'dead-letter-table' },
      ),
    );
    const headerCell = listArea.querySelector('thead th');
    if (headerCell) headerCell.append(all);
  }

  /** @param {string[]} ids */
  async function replay(ids) {
    replaySelected.disabled = true;
    try {
      const result = /** @type {{ requeued: number; results: ReplayResult[] }} */ (await api('/admin/console/dead-letters/replay', { method: 'POST', json: { ids } }));
      const text = `${result.requeued} of ${ids.length} dead letters replayed.`;
      replace(status, message('success', text));
      announce(text);
      replayedSection.hidden = false;
      for (const r of result.results) follow(r);
    } catch (error) {
      replace(status, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Replay failed'));
    }
    await load();
  }

  /** @param {ReplayResult} r */
  function follow(r) {
    const stateCell = h('td', {}, r.outcome === 'requeued' ? stateBadge('pending') : h('span', { class: 'badge bad' }, 'not found'));
    const attemptsCell = h('td', { class: 'num' }, '0');
    const row = h('tr', { 'data-dead-letter': r.id }, h('td', {}, h('code', {}, r.id.slice(0, 8))), h('td', {}, h('code', {}, r.outboxId ? r.outboxId.slice(0, 8) : '-')), stateCell, attemptsCell, h('td', {}, r.auditEvent ? h('code', {}, r.auditEvent) : '-'));
    replayed.append(row);
    if (!r.outboxId) return;
    const outboxId = r.outboxId;
    const until = Date.now() + FOLLOW_MS;
    const tick = async () => {
      if (!row.isConnected) return;
      try {
        const item = /** @type {OutboxItemView} */ (await api(`/admin/console/outbox/${encodeURIComponent(outboxId)}`));
        replace(stateCell, stateBadge(item.state));
        replace(attemptsCell, String(item.attempts));
        if (item.state === 'done' || item.state === 'dead') {
          announce(`Replayed item ${item.state === 'done' ? 'delivered' : 'failed again'}`);
          return;
        }
      } catch {
        // Keep following; a transient failure is shown by the next tick.
      }
      if (Date.now() < until) setTimeout(() => void tick(), POLL_MS);
    };
    setTimeout(() => void tick(), POLL_MS);
  }

  replaySelected.addEventListener('click', () => void replay([...selected]));
  await load();
}
