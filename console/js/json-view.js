// @ts-check
// Renders JSON as indented text where every value sits in a span carrying its FHIRPath-style
// path (`Task.identifier[0].system`), and marks the places an OperationOutcome's issues name.
// An expression with no rendered element (a missing required element) marks the nearest
// parent that is there; one without indices (`Task.identifier.system`) marks every match.
import { h } from './dom.js';

/**
 * @param {unknown} value
 * @param {string} rootName the resourceType, the root of every path
 * @returns {HTMLPreElement}
 */
export function renderJson(value, rootName) {
  const pre = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Resource JSON' });
  pre.append(node(value, rootName, 0));
  return pre;
}

/**
 * @param {unknown} value
 * @param {string} path
 * @param {number} depth
 * @returns {HTMLSpanElement}
 */
function node(value, path, depth) {
  const span = h('span', { 'data-path': path });
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      span.append('[]');
      return span;
    }
    span.append('[\n');
    value.forEach((item, i) => {
      span.append(pad, node(item, `${path}[${i}]`, depth + 1), i < value.length - 1 ? ',\n' : '\n');
    });
    span.append(`${close}]`);
    return span;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(/** @type {Record<string, unknown>} */ (value));
    if (entries.length === 0) {
      span.append('{}');
      return span;
    }
    span.append('{\n');
    entries.forEach(([key, item], i) => {
      const child = node(item, `${path}.${key}`, depth + 1);
      const member = h('span', { 'data-member': `${path}.${key}` }, `${JSON.stringify(key)}: `, child);
      span.append(pad, member, i < entries.length - 1 ? ',\n' : '\n');
    });
    span.append(`${close}}`);
    return span;
  }
  span.append(JSON.stringify(value));
  return span;
}

/**
 * Splits a FHIRPath-like expression into steps, keeping `(...)` and `[...]` whole.
 * @param {string} expression
 * @returns {string[]}
 */
export function steps(expression) {
  const out = [];
  let depth = 0;
  let current = '';
  for (const ch of expression) {
    if (ch === '(' || ch === '[') depth += 1;
    if (ch === ')' || ch === ']') depth -= 1;
    if (ch === '.' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.filter((s) => s.length > 0);
}

/** @param {string} path */
const withoutIndices = (path) => path.replace(/\[\d+\]/g, '');

/**
 * The rendered elements an expression points at: exact path, else the same path without
 * indices, else the nearest rendered parent. Function steps (`where(...)`, `ofType(...)`)
 * end the usable part of the path.
 * @param {HTMLElement} pre
 * @param {string} expression
 * @returns {Element[]}
 */
export function locate(pre, expression) {
  const usable = [];
  for (const step of steps(expression)) {
    if (/[()]/.test(step)) break;
    usable.push(step.replace(/\[x\]$/, ''));
  }
  const all = [...pre.querySelectorAll('[data-path]')];
  for (let n = usable.length; n > 0; n--) {
    const path = usable.slice(0, n).join('.');
    const exact = all.filter((el) => el.getAttribute('data-path') === path);
    if (exact.length) return exact;
    const loose = all.filter((el) => withoutIndices(el.getAttribute('data-path') ?? '') === withoutIndices(path));
    if (loose.length) return loose;
    // A choice element named without its type (`value` for `valueQuantity`).
    const prefix = all.filter((el) => {
      const p = el.getAttribute('data-path') ?? '';
      return p.startsWith(path) && /^[A-Z][A-Za-z]*$/.test(p.slice(path.length)) && !p.slice(path.length).includes('.');
    });
    if (prefix.length) return prefix;
  }
  const root = pre.querySelector('[data-path]');
  return root ? [root] : [];
}

/**
 * Marks each issue's place: the element gets the `marked` class and a numbered marker before
 * it; returns, per issue, the first marked element (for "show in JSON" links).
 * @param {HTMLPreElement} pre
 * @param {{ severity: string; expression?: string[] }[]} issues
 * @returns {(Element | undefined)[]}
 */
export function markIssues(pre, issues) {
  return issues.map((issue, i) => {
    const expression = issue.expression?.[0];
    if (!expression) return undefined;
    const found = locate(pre, expression);
    for (const el of found) {
      el.classList.add('marked', issue.severity);
      el.setAttribute('data-issue', [el.getAttribute('data-issue'), String(i + 1)].filter(Boolean).join(' '));
      const marker = h('mark', { class: `issue-marker ${issue.severity}`, id: `issue-at-${i + 1}`, tabindex: '-1', title: `Issue ${i + 1}` }, String(i + 1));
      // For a member, the marker goes before its key.
      const member = el.parentElement?.hasAttribute('data-member') ? el.parentElement : el;
      if (!pre.querySelector(`#issue-at-${i + 1}`)) member.before(marker);
    }
    return found[0];
  });
}
