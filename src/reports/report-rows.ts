// The referral report flattened into rows (figure name, value) for the CLI's table and CSV
// (RFC 4180) outputs. Pure.
import type { GroupFigures, ReferralReport } from '../workflow/report/report-types.ts';

export type FigureValue = number | null;

/** `section.figure` names with their values, in a stable order. */
export function figureRows(f: GroupFigures): [string, FigureValue][] {
  const rows: [string, FigureValue][] = [];
  const { rejectedByReason, ...funnel } = f.funnel;
  for (const [k, v] of Object.entries(funnel)) rows.push([`funnel.${k}`, v]);
  for (const reason of Object.keys(rejectedByReason).sort()) rows.push([`funnel.rejectedByReason.${reason}`, rejectedByReason[reason]]);
  for (const [k, stats] of Object.entries(f.timeliness)) {
    for (const [s, v] of Object.entries(stats)) rows.push([`timeliness.${k}.${s}`, v as FigureValue]);
  }
  const { goalsByDefiner, ...goals } = f.goals;
  for (const [k, v] of Object.entries(goals)) rows.push([`goals.${k}`, v]);
  for (const [k, v] of Object.entries(goalsByDefiner)) rows.push([`goals.goalsByDefiner.${k}`, v]);
  for (const [k, v] of Object.entries(f.dataQuality)) rows.push([`dataQuality.${k}`, v]);
  return rows;
}

export interface ReportColumn {
  /** overall | organization | category */
  group: string;
  key: string;
  figures: GroupFigures;
}

export function reportColumns(report: ReferralReport): ReportColumn[] {
  return [
    { group: 'overall', key: '', figures: report.overall },
    ...(report.byOrganization ?? []).map((r) => ({ group: 'organization', key: r.key, figures: r.figures })),
    ...(report.byCategory ?? []).map((r) => ({ group: 'category', key: r.key, figures: r.figures })),
  ];
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Long CSV: `group,key,figure,value`, one row per figure and group; empty value for "none". */
export function reportCsv(report: ReferralReport): string {
  const lines = ['group,key,figure,value'];
  for (const c of reportColumns(report)) {
    for (const [name, value] of figureRows(c.figures)) lines.push([c.group, c.key, name, value === null ? '' : String(value)].map(csvField).join(','));
  }
  lines.push(['sync', '', 'pendingSyncFailures', String(report.pendingSyncFailures)].join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function display(name: string, value: FigureValue): string {
  if (value === null) return '-';
  if (name.endsWith('Rate') || name.endsWith('Share')) return `${(value * 100).toFixed(1)}%`;
  if (name.endsWith('Hours')) return value.toFixed(1);
  return String(value);
}

/** A text table: one row per figure, one column per group (overall, organisations, categories). */
export function reportTable(report: ReferralReport): string {
  const columns = reportColumns(report);
  const names: string[] = [];
  const values = columns.map((c) => new Map(figureRows(c.figures)));
  for (const c of columns) for (const [name] of figureRows(c.figures)) if (!names.includes(name)) names.push(name);
  const header = ['figure', ...columns.map((c) => (c.group === 'overall' ? 'overall' : c.key))];
  const rows = names.map((n) => [n, ...values.map((v) => (v.has(n) ? display(n, v.get(n) as FigureValue) : '0'))]);
  rows.push(['pendingSyncFailures', String(report.pendingSyncFailures), ...columns.slice(1).map(() => '')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [`period ${report.period.start} to ${report.period.end} (end exclusive)`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
