// @ts-check
// Hand-made SVG bar charts: one row per bar, the label on the left, the value written at the
// end of the bar. Each chart is a figure with a caption; the SVG has a title and each bar a
// tooltip, and the same numbers are in a table for screen readers.
import { h, s, uid } from './dom.js';

/**
 * @typedef {{ key: string; label: string; value: number | null; display?: string; tone?: 'ok' | 'bad' | 'alt' }} Bar
 */

const WIDTH = 600;
const LABEL = 200;
const ROW = 30;
const BAR = 20;

/**
 * @param {string} title
 * @param {Bar[]} bars
 * @param {{ id?: string; note?: string }} [options]
 */
export function barChart(title, bars, options = {}) {
  const id = options.id ?? uid('chart');
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const height = bars.length * ROW + 10;
  const span = WIDTH - LABEL - 70;
  const svg = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`, preserveAspectRatio: 'xMinYMin meet', role: 'img', 'aria-labelledby': `${id}-title`, 'data-chart': id },
    s('title', { id: `${id}-title` }, title),
    s('line', { class: 'axis', x1: LABEL, x2: LABEL, y1: 0, y2: height }),
    ...bars.map((bar, i) => {
      const y = 5 + i * ROW;
      const w = bar.value === null ? 0 : Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * span);
      const shown = bar.display ?? (bar.value === null ? 'n/a' : String(bar.value));
      return s(
        'g',
        { 'data-bar': bar.key, 'data-value': bar.value === null ? '' : String(bar.value) },
        s('title', {}, `${bar.label}: ${shown}`),
        s('text', { x: LABEL - 8, y: y + BAR / 2 + 4, 'text-anchor': 'end' }, bar.label),
        s('rect', { class: `bar ${bar.tone ?? ''}`.trim(), x: LABEL, y, width: w.toFixed(1), height: BAR, rx: 2 }),
        s('text', { class: 'value', x: LABEL + w + 6, y: y + BAR / 2 + 4 }, shown),
      );
    }),
  );
  const data = h(
    'table',
    { class: 'visually-hidden' },
    h('caption', {}, title),
    h('tbody', {}, ...bars.map((b) => h('tr', {}, h('th', { scope: 'row' }, b.label), h('td', {}, b.display ?? (b.value === null ? 'n/a' : String(b.value)))))),
  );
  return h('figure', { class: 'chart', id }, h('figcaption', {}, title), svg, data, options.note ? h('p', { class: 'hint' }, options.note) : null);
}
