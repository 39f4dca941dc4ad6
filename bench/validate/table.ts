// The benchmark's printed table: resources/s per validator and input set, ratios, and how
// many inputs each validator flagged as having errors.

export interface Row {
  set: string;
  ours: number;
  medplum: number;
  floor: number;
  oursFlagged: number;
  medplumFlagged: number;
  total: number;
  /** Mutant sets: every input has an error, so flagged/total is the detection rate. */
  expectErrors: boolean;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatTable(rows: Row[]): string {
  const header = ['input set', 'ours res/s', 'medplum res/s', 'parse+stringify res/s', 'ours/medplum', 'ours/floor', 'flagged: ours', 'flagged: medplum'];
  const lines = rows.map((r) => [
    r.set,
    fmt(r.ours),
    fmt(r.medplum),
    fmt(r.floor),
    `${(r.ours / r.medplum).toFixed(1)}x`,
    `${((100 * r.ours) / r.floor).toFixed(1)}%`,
    `${r.oursFlagged}/${r.total}`,
    `${r.medplumFlagged}/${r.total}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`;
  return [row(header), sep, ...lines.map(row)].join('\n');
}
