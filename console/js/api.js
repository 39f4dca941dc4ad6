// @ts-check
// Talks to the gateway's admin API with the admin token as a Bearer credential. The token
// lives in sessionStorage: it is gone when the tab closes, is never sent unless the console
// attaches it (no ambient cookie, so no cross-site request can use it), and the strict
// Content-Security-Policy keeps foreign scripts out of the page that holds it.

const KEY = 'gateway-admin-token';
const TIMEOUT_MS = 130_000;

/** @returns {string | null} */
export function getToken() {
  return sessionStorage.getItem(KEY);
}

/** @param {string} token */
export function setToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/**
 * @typedef {{ severity: string; code: string; details?: { text?: string }; diagnostics?: string; expression?: string[] }} Issue
 * @typedef {{ resourceType: 'OperationOutcome'; issue?: Issue[] }} OperationOutcome
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {OperationOutcome | undefined} outcome
   */
  constructor(status, outcome) {
    super(outcome ? outcomeText(outcome) : `HTTP ${status}`);
    this.status = status;
    this.outcome = outcome;
  }
}

/**
 * The issue texts of an OperationOutcome, one line each.
 * @param {OperationOutcome} outcome
 */
export function outcomeText(outcome) {
  return (outcome.issue ?? [])
    .map((i) => `${i.details?.text ?? i.diagnostics ?? i.code}${i.expression?.length ? ` (${i.expression.join(', ')})` : ''}`)
    .join('\n');
}

/**
 * Calls the admin API. Throws ApiError with the OperationOutcome on 4xx/5xx; on 401 the
 * console signs out.
 * @param {string} path
 * @param {{ method?: string; json?: unknown; text?: string; query?: Record<string, string | undefined> }} [options]
 * @returns {Promise<unknown>}
 */
export async function api(path, options = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, value);
  }
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  /** @type {string | undefined} */
  let body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers['content-type'] = 'application/fhir+json';
    body = options.text;
  }
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const outcome = data && typeof data === 'object' && /** @type {{ resourceType?: unknown }} */ (data).resourceType === 'OperationOutcome' ? /** @type {OperationOutcome} */ (data) : undefined;
    if (response.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw new ApiError(response.status, outcome);
  }
  return data;
}
