// @ts-check
// The console's shell: sign-in with the admin token, hash routing between the six pages,
// focus moved to each page's heading so keyboard and screen-reader users land on it.
import { api, clearToken, getToken, setToken, ApiError } from './api.js';
import { announce, field, h, message, replace } from './dom.js';
import { renderConnections } from './pages/connections.js';
import { renderDeadLetters } from './pages/dead-letters.js';
import { renderReferrals } from './pages/referrals.js';
import { renderValidate } from './pages/validate.js';
import { renderMapping } from './pages/mapping.js';
import { renderOutcomes } from './pages/outcomes.js';

/** @typedef {(main: HTMLElement, args: string[]) => Promise<void> | void} PageRenderer */

/** @type {Record<string, { title: string; render: PageRenderer }>} */
const PAGES = {
  connections: { title: 'Connections', render: renderConnections },
  'dead-letters': { title: 'Dead letters', render: renderDeadLetters },
  referrals: { title: 'Referrals', render: renderReferrals },
  validate: { title: 'Validate', render: renderValidate },
  mapping: { title: 'Mapping playground', render: renderMapping },
  outcomes: { title: 'Outcomes', render: renderOutcomes },
};

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const logout = /** @type {HTMLButtonElement} */ (document.getElementById('logout'));

function currentRoute() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const name = parts[0] && PAGES[parts[0]] ? parts[0] : 'connections';
  return { name, args: parts.slice(1) };
}

/** @param {string} [reason] */
function showLogin(reason) {
  nav.hidden = true;
  logout.hidden = true;
  document.title = 'Sign in - gateway operations console';
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Sign in'),
    h('p', { class: 'hint' }, 'Enter the gateway admin token (GATEWAY_ADMIN_TOKEN). It is kept in this browser tab only and sent to the gateway as a Bearer credential.'),
    reason ? message('error', reason) : null,
    field('Admin token', input),
    status,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    replace(status, message('info', 'Checking the token...'));
    try {
      await api('/admin/console/connections');
      route();
    } catch (error) {
      clearToken();
      const text = error instanceof ApiError && error.status === 401 ? 'The gateway did not accept this token.' : `The gateway could not be reached: ${error instanceof Error ? error.message : 'unknown error'}`;
      replace(status, message('error', text));
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}

let generation = 0;

async function route() {
  if (!getToken()) {
    showLogin();
    return;
  }
  nav.hidden = false;
  logout.hidden = false;
  const { name, args } = currentRoute();
  const page = PAGES[name];
  for (const link of nav.querySelectorAll('a[data-page]')) {
    if (link.getAttribute('data-page') === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.title} - gateway operations console`;
  const mine = ++generation;
  const container = h('div', { 'data-page': name });
  replace(main, container);
  try {
    await page.render(container, args);
  } catch (error) {
    if (mine !== generation) return;
    container.append(message('error', error instanceof Error ? error.message : 'The page could not be shown'));
  }
  if (mine !== generation) return;
  const heading = container.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    if (!main.contains(document.activeElement) || document.activeElement === main) heading.focus();
  }
  announce(`${page.title} page`);
}

logout.addEventListener('click', () => {
  clearToken();
  window.location.hash = '';
  showLogin();
});
window.addEventListener('console:unauthorized', () => {
  // The sign-in form checks the token itself and says why it failed.
  if (document.querySelector('form.login')) return;
  clearToken();
  showLogin('The admin token was refused; sign in again.');
});
window.addEventListener('hashchange', () => {
  void route();
});
void route();
