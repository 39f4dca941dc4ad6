// @ts-check
// Validate: paste or upload a resource, pick a profile, and see the OperationOutcome with
// each issue numbered and marked at its place in the JSON.
import { api, ApiError } from '../api.js';
import { announce, field, h, message, replace, select } from '../dom.js';
import { markIssues, renderJson } from '../json-view.js';

/**
 * @typedef {{ url: string; title: string; resourceType: string }} Profile
 * @typedef {{ severity: string; code: string; details?: { text?: string }; diagnostics?: string; expression?: string[] }} Issue
 */

const SAMPLE = JSON.stringify(
  {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: 'ServiceRequest/example' },
    for: { reference: 'Patient/example' },
    authoredOn: '2026-11-01T10:00:00Z',
    owner: { reference: 'Organization/example' },
  },
  null,
  2,
);

/** @param {HTMLElement} root */
export async function renderValidate(root) {
  const text = h('textarea', { rows: 18, name: 'resource', spellcheck: 'false' });
  text.value = SAMPLE;
  const file = h('input', { type: 'file', accept: '.json,application/json,application/fhir+json', name: 'file' });
  const profiles = /** @type {{ profiles: Profile[] }} */ (await api('/admin/console/profiles')).profiles;
  const profile = select([{ value: '', label: 'Base resource and the profiles it claims' }, ...profiles.map((p) => ({ value: p.url, label: `${p.title} (${p.resourceType})` }))], { name: 'profile' });
  const output = h('div', { id: 'validate-output' });
  const form = h(
    'form',
    { 'aria-label': 'Validate a resource' },
    field('Resource (FHIR JSON)', text),
    h('div', { class: 'inline-fields' }, field('Or load a file', file), field('Profile', profile), h('button', { type: 'submit' }, 'Validate')),
  );
  replace(root, h('h1', {}, 'Validate'), h('div', { class: 'split' }, h('div', { class: 'panel' }, form), h('div', { class: 'panel' }, h('h2', {}, 'Result'), output)));

  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (chosen) text.value = await chosen.text();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    /** @type {unknown} */
    let parsed;
    try {
      parsed = JSON.parse(text.value);
    } catch (error) {
      replace(output, message('error', `The text is not JSON: ${error instanceof Error ? error.message : ''}`));
      return;
    }
    replace(output, message('info', 'Validating...'));
    try {
      const outcome = /** @type {{ issue?: Issue[] }} */ (await api('/admin/console/validate', { method: 'POST', text: text.value, query: { profile: profile.value } }));
      show(parsed, outcome.issue ?? []);
    } catch (error) {
      replace(output, message('error', error instanceof ApiError || error instanceof Error ? error.message : 'Validation failed'));
    }
  });

  /**
   * @param {unknown} resource
   * @param {Issue[]} issues
   */
  function show(resource, issues) {
    const rootName = resource && typeof resource === 'object' && typeof (/** @type {{ resourceType?: unknown }} */ (resource).resourceType) === 'string' ? String(/** @type {{ resourceType: string }} */ (resource).resourceType) : '$this';
    const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length;
    const warnings = issues.filter((i) => i.severity === 'warning').length;
    const pre = renderJson(resource, rootName);
    const places = markIssues(pre, issues);
    const summary = errors === 0 ? message('success', h('span', { id: 'validate-summary' }, `Valid: no errors${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.`)) : message('error', h('span', { id: 'validate-summary' }, `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`));
    const list = h(
      'ol',
      { class: 'issues', id: 'issue-list' },
      ...issues.map((issue, i) =>
        h(
          'li',
          { 'data-severity': issue.severity },
          h('span', { class: `badge ${issue.severity === 'error' || issue.severity === 'fatal' ? 'bad' : issue.severity === 'warning' ? 'warn' : 'info'}` }, issue.severity),
          ' ',
          issue.details?.text ?? issue.diagnostics ?? issue.code,
          issue.expression?.length ? [' at ', h('code', {}, issue.expression.join(', '))] : null,
          ' ',
          places[i]
            ? h('button', {
                type: 'button',
                class: 'link',
                onclick: () => {
                  const marker = /** @type {HTMLElement | null} */ (pre.querySelector(`#issue-at-${i + 1}`));
                  marker?.scrollIntoView({ block: 'center' });
                  marker?.focus();
                },
              }, `show place ${i + 1}`)
            : null,
        ),
      ),
    );
    replace(output, summary, issues.length ? list : null, h('h3', {}, 'The resource, with each issue marked'), pre);
    announce(errors === 0 ? 'Valid' : `${errors} errors`);
  }
}
