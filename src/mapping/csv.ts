// Tabular front end for partners that work in spreadsheets (RFC 4180 CSV, parsed with
// csv-parse). A CSV mapping names, per table, the JSON mapping its rows feed and which
// column holds which partner field; each data row is one partner record.
// A row that cannot be read gives errors naming its line and column and produces nothing;
// other rows still map. A file that cannot be read as CSV produces nothing at all.
import { parse } from 'csv-parse/sync';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { compilePath } from './path.ts';
import type { CompiledPath } from './path.ts';
import { isRuleObject } from './rules.ts';
import type { SourceDoc, SourceProblem } from './source.ts';
import type { CompiledMapping, PartnerRecord } from './types.ts';
import { fromFhir, toFhir } from './evaluate.ts';
import type { ToFhirOptions } from './evaluate.ts';

export type ColumnType = 'string' | 'number' | 'boolean';

export interface CsvColumn {
  column: string;
  path: CompiledPath;
  type: ColumnType;
}

export interface CsvTable {
  table: string;
  mapping: CompiledMapping;
  columns: CsvColumn[];
  /** Partner path without indices -> column, to name the column in errors. */
  byPath: Map<string, string>;
}

export interface CompiledCsv {
  tables: CsvTable[];
}

export function compileCsv(doc: SourceDoc, lookup: (name: string) => CompiledMapping | undefined): { csv?: CompiledCsv; problems: SourceProblem[] } {
  const problems: SourceProblem[] = [];
  const report = (node: unknown, reason: string) =>
    problems.push({ file: doc.file, line: typeof node === 'object' && node !== null ? doc.lineOf(node) : 0, reason });
  const top = doc.value as Record<string, unknown>;
  const tables: CsvTable[] = [];
  if (!Array.isArray(top.tables) || top.tables.length === 0) report(top, 'a csv mapping needs a "tables" list');
  for (const raw of Array.isArray(top.tables) ? top.tables : []) {
    if (!isRuleObject(raw) || typeof raw.table !== 'string' || typeof raw.mapping !== 'string') {
      report(raw, 'each table needs "table" (its name) and "mapping" (the mapping its rows feed)');
      continue;
    }
    const mapping = lookup(raw.mapping);
    if (!mapping) {
      report(raw, `table "${raw.table}" feeds unknown mapping "${raw.mapping}"`);
      continue;
    }
    const columns: CsvColumn[] = [];
    const byPath = new Map<string, string>();
    for (const col of Array.isArray(raw.columns) ? raw.columns : (report(raw, `table "${raw.table}" needs "columns"`), [])) {
      if (!isRuleObject(col) || typeof col.column !== 'string' || typeof col.partner !== 'string') {
        report(col, 'each column needs "column" (the header) and "partner" (the partner path)');
        continue;
      }
      const type = (col.type ?? 'string') as ColumnType;
      if (!['string', 'number', 'boolean'].includes(type)) report(col, '"type" is string, number or boolean');
      if (columns.some((c) => c.column === col.column)) report(col, `column "${col.column}" is declared twice`);
      try {
        const path = compilePath(col.partner);
        columns.push({ column: col.column, path, type });
        byPath.set(col.partner.replace(/\[\d+\]/g, ''), col.column);
        byPath.set(col.partner, col.column);
      } catch (e) {
        report(col, `"partner": ${(e as Error).message}`);
      }
    }
    tables.push({ table: raw.table, mapping, columns, byPath });
  }
  return problems.length > 0 ? { problems } : { csv: { tables }, problems };
}

function convert(cell: string, type: ColumnType): { value?: unknown; error?: string } {
  if (type === 'string') return { value: cell };
  if (type === 'number') {
    const n = Number(cell);
    return Number.isFinite(n) ? { value: n } : { error: 'Value is not a number' };
  }
  const lower = cell.toLowerCase();
  if (lower === 'true' || lower === 'yes') return { value: true };
  if (lower === 'false' || lower === 'no') return { value: false };
  return { error: 'Value is not true/false (or yes/no)' };
}

/** Drops list items left empty by cells that were blank (e.g. service_2_* columns unused). */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(compact).filter((v) => v !== null && v !== undefined && !(isRuleObject(v) && Object.keys(v).length === 0));
  }
  if (isRuleObject(value)) {
    for (const [k, v] of Object.entries(value)) value[k] = compact(v);
  }
  return value;
}

function pickTable(csv: CompiledCsv, header: string[]): CsvTable | undefined {
  return csv.tables.find((t) => header.every((h) => t.columns.some((c) => c.column === h)));
}

export function csvToFhir(csv: CompiledCsv, text: string, options: ToFhirOptions): { resources: Resource[]; issues: OperationOutcomeIssue[] } {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof rows;
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    return { resources: [], issues: [issue('error', 'structure', `CSV cannot be read${line ? ` (line ${line})` : ''}: ${(e as { code?: string }).code ?? 'syntax error'}`, '$this')] };
  }
  if (rows.length === 0) return { resources: [], issues: [issue('error', 'required', 'CSV has no header row', '$this')] };
  const header = rows[0].record;
  const table = pickTable(csv, header);
  if (!table) {
    const known = csv.tables.map((t) => t.table).join(', ');
    return { resources: [], issues: [issue('error', 'structure', `CSV header matches none of the tables (${known}): check the column names`, 'header')] };
  }
  const columns = header.map((h) => table.columns.find((c) => c.column === h) as CsvColumn);
  const resources: Resource[] = [];
  const issues: OperationOutcomeIssue[] = [];
  rows.slice(1).forEach(({ record: cells, info }, i) => {
    const rowIssues: OperationOutcomeIssue[] = [];
    const line = info.lines;
    const where = (column?: string) => (column ? `${table.table}[${i}].${column}` : `${table.table}[${i}]`);
    if (cells.length !== header.length) {
      rowIssues.push(issue('error', 'structure', `Line ${line}: row has ${cells.length} cells, the header has ${header.length}`, where()));
    }
    const record: PartnerRecord = {};
    if (rowIssues.length === 0) {
      cells.forEach((cell, c) => {
        if (cell === '') return;
        const converted = convert(cell, columns[c].type);
        if (converted.error) rowIssues.push(issue('error', 'value', `Line ${line}, column ${columns[c].column}: ${converted.error}`, where(columns[c].column)));
        else columns[c].path.set(record, converted.value);
      });
      compact(record);
    }
    if (rowIssues.length === 0) {
      const result = toFhir(table.mapping, record, { ...options, prefix: '' });
      for (const found of result.issues) {
        const path = found.expression?.[0] ?? '';
        const column = table.byPath.get(path) ?? table.byPath.get(path.replace(/\[\d+\]/g, ''));
        rowIssues.push({
          ...found,
          details: { text: `Line ${line}${column ? `, column ${column}` : ''}: ${found.details?.text ?? ''}` },
          expression: [where(column)],
        });
      }
      if (!result.issues.some((x) => x.severity === 'error' || x.severity === 'fatal')) resources.push(...result.resources);
    }
    issues.push(...rowIssues);
  });
  return { resources, issues };
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Writes the records in a FHIR input as one table; without a table name, the first table that reads it. */
export function fhirToCsv(csv: CompiledCsv, input: unknown, tableName?: string): { text?: string; issues: OperationOutcomeIssue[] } {
  if (tableName === undefined) {
    let first: { text?: string; issues: OperationOutcomeIssue[] } | undefined;
    for (const t of csv.tables) {
      const attempt = fhirToCsv(csv, input, t.table);
      if (attempt.text !== undefined) return attempt;
      first ??= attempt;
    }
    return first ?? { issues: [] };
  }
  const table = csv.tables.find((t) => t.table === tableName);
  if (!table) return { issues: [issue('error', 'not-found', `No table "${tableName}" in this CSV mapping`, '$this')] };
  const { records, issues } = fromFhir(table.mapping, input);
  if (issues.some((x) => x.severity === 'error' || x.severity === 'fatal')) return { issues };
  const lines = [table.columns.map((c) => quote(c.column)).join(',')];
  for (const record of records) {
    lines.push(
      table.columns
        .map((c) => {
          const v = c.path.get(record);
          return v === undefined || v === null ? '' : quote(String(v));
        })
        .join(','),
    );
  }
  return { text: `${lines.join('\n')}\n`, issues };
}
