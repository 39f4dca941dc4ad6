// @ts-check
// Mapping playground: pick a mapping and a direction, paste a partner record (JSON or CSV)
// or a FHIR resource/Bundle, and see the other side and the issues found on the way.
import { api, ApiError } from '../api.js';
import { field, h, message, replace, select } from '../dom.js';

/**
 * @typedef {{ name: string; directions: string[]; csv: boolean; tables: string[] }} MappingInfo
 * @typedef {{ severity: string; code: string; details?: { text?: string }; diagnostics?: string; expression?: string[] }} Issue
 * @typedef {{ ok: boolean; outcome: { issue?: Issue[] }; bundle?: unknown; record?: unknown }} MapAnswer
 */

/**
 * @param {Issue[]} issues
 * @param {string} id
 */
function issueList(issues, id) {
  return h(
    'ol',
    { class: 'issues', id },
    ...issues.map((i) => h('li', {}, h('span', { class: `badge ${i.severity === 'error' || i.severity === 'fatal' ? 'bad' : 'warn'}` }, i.severity), ' ', i.details?.text ?? i.diagnostics ?? i.code, i.expression?.length ? [' at ', h('code', {}, i.expression.join(', '))] : null)),
  );
}

/** @param {HTMLElement} root */
export async function renderMapping(root) {
  const mappings = /** @type {{ mappings: MappingInfo[] }} */ (await api('/admin/console/mappings')).mappings;
  const mapping = select(mappings.map((m) => ({ value: m.name, label: `${m.name}${m.csv ? ' (CSV)' : ''}` })), { name: 'mapping' });
  const direction = select([{ value: 'to-fhir', label: 'Partner record to FHIR' }, { value: 'from-fhir', label: 'FHIR to partner record' }], { name: 'direction' });
  const table = h('select', { name: 'table' });
  const tableField = field('CSV table', table);
  const partner = h('input', { type: 'text', name: 'partner', value: 'default', size: 14, pattern: '[a-z0-9][a-z0-9\\-]{0,62}' });
  const input = h('textarea', { rows: 20, name: 'input', spellcheck: 'false' });
  const output = h('div', { id: 'mapping-output' });
  const example = h('button', { type: 'button', class: 'secondary' }, 'Load example');
  const form = h(
    'form',
    { 'aria-label': 'Run a mapping' },
    h('div', { class: 'inline-fields' }, field('Mapping', mapping), field('Direction', direction), field('Partner id', partner), tableField),
    field('Input', input, 'A partner record (JSON, or CSV text for CSV mappings) to map to FHIR, or a FHIR resource or Bundle to map to the partner format.'),
    h('div', { class: 'toolbar' }, h('button', { type: 'submit' }, 'Run mapping'), example),
  );
  replace(root, h('h1', {}, 'Mapping playground'), h('div', { class: 'split' }, h('div', { class: 'panel' }, form), h('div', { class: 'panel' }, h('h2', {}, 'Other side'), output)));

  const syncDirections = () => {
    const info = mappings.find((m) => m.name === mapping.value);
    // CSV mappings write one table at a time from FHIR.
    table.replaceChildren(...(info?.tables ?? []).map((t) => h('option', { value: t }, t)));
    tableField.hidden = !info?.csv || direction.value !== 'from-fhir';
    for (const option of direction.options) option.disabled = !info?.directions.includes(option.value);
    if (direction.selectedOptions[0]?.disabled) {
      const first = [...direction.options].find((o) => !o.disabled);
      if (first) direction.value = first.value;
    }
  };
  mapping.addEventListener('change', syncDirections);
  direction.addEventListener('change', syncDirections);
  syncDirections();

  example.addEventListener('click', async () => {
    try {
      const data = /** @type {{ case: string; text: string }} */ (await api(`/admin/console/mappings/${encodeURIComponent(mapping.value)}/example`, { query: { direction: direction.value } }));
      input.value = data.text;
      replace(output, message('info', `Loaded the example "${data.case}" shipped with the mapping.`));
    } catch (error) {
      replace(output, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'No example'));
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(output, message('info', 'Mapping...'));
    try {
      const answer = /** @type {MapAnswer} */ (await api('/admin/console/map', { method: 'POST', json: { mapping: mapping.value, direction: direction.value, text: input.value, partner: partner.value || undefined, table: tableField.hidden ? undefined : table.value || undefined } }));
      const issues = answer.outcome.issue ?? [];
      const shown = issues.filter((i) => !(i.severity === 'information' && i.code === 'informational'));
      const errors = shown.filter((i) => i.severity === 'error' || i.severity === 'fatal');
      const warnings = shown.filter((i) => !errors.includes(i));
      const result = answer.bundle ?? answer.record;
      replace(
        output,
        answer.ok ? message('success', h('span', { id: 'mapping-status' }, 'Mapped without errors.')) : message('error', h('span', { id: 'mapping-status' }, 'The mapping reported errors.')),
        errors.length ? issueList(errors, 'mapping-issues') : null,
        warnings.length ? h('details', { class: 'warnings' }, h('summary', {}, `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`), issueList(warnings, 'mapping-warnings')) : null,
        result !== undefined ? h('pre', { class: 'json', id: 'mapping-result', tabindex: '0', 'aria-label': 'Mapping result' }, typeof result === 'string' ? result : JSON.stringify(result, null, 2)) : null,
      );
    } catch (error) {
      replace(output, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Mapping failed'));
    }
  });
}
