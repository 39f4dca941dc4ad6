// SQL conditions for search filters (FHIR R4 search.html), all answered from the index
// tables. Pure: returns SQL text with `?` placeholders and its parameters.
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { badRequest } from '../../fhir/outcomes.ts';
import { indexTables, parseReference } from '../ops/index-rows.ts';
import type { SqlValue } from '../sql/executor.ts';
import { dateRange, type Range } from './date-range.ts';
import { escapeLike, normalizeText, prefixUpperBound } from './normalize.ts';
import type { Prefix, PrefixedValue, SearchFilter, TokenValue } from './query.ts';

export interface Clause {
  sql: string;
  params: SqlValue[];
}

const or = (clauses: Clause[]): Clause => ({
  sql: clauses.length === 1 ? clauses[0].sql : `(${clauses.map((c) => `(${c.sql})`).join(' OR ')})`,
  params: clauses.flatMap((c) => c.params),
});

function invalid(text: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(text));
}

/**
 * How a filter joins the resources: the driving filter lists matching ids from its index
 * (`r.id IN (...)`, one index range scan); the others are checked per candidate row
 * (`EXISTS`, one index lookup by owner), so an unselective filter never materialises a
 * large id list.
 */
export type Join = 'drive' | 'check';

function viaIndex(table: string, tenant: string, type: string, param: string, cond: Clause, join: Join, negate = false): Clause {
  if (join === 'drive' && !negate) {
    return {
      sql: `r.id IN (SELECT x.id FROM ${table} x WHERE x.tenant = ? AND x.type = ? AND x.param = ? AND ${cond.sql})`,
      params: [tenant, type, param, ...cond.params],
    };
  }
  return {
    sql: `${negate ? 'NOT EXISTS' : 'EXISTS'} (SELECT 1 FROM ${table} x WHERE x.tenant = r.tenant AND x.type = r.type AND x.id = r.id AND x.param = ? AND ${cond.sql})`,
    params: [param, ...cond.params],
  };
}

const drivePriority: Partial<Record<SearchFilter['kind'], number>> = { id: 0, reference: 1, token: 2, uri: 3, string: 4, date: 5, number: 6, lastUpdated: 7 };

/** Index of the filter most likely to be selective, by kind (ids, references, then tokens...); -1 when none can drive. */
export function chooseDriver(filters: readonly SearchFilter[]): number {
  let best = -1;
  let bestRank = Number.POSITIVE_INFINITY;
  filters.forEach((filter, index) => {
    const rank = drivePriority[filter.kind];
    if (rank !== undefined && !(filter.kind === 'token' && filter.not) && rank < bestRank) {
      best = index;
      bestRank = rank;
    }
  });
  return best;
}

function tokenCondition(value: TokenValue): Clause {
  const parts: Clause[] = [];
  if (value.system !== undefined) {
    parts.push({ sql: 'x.system = ?', params: [value.system] });
  }
  if (value.code !== undefined) {
    parts.push({ sql: 'x.code = ?', params: [value.code] });
  }
  if (parts.length === 0) {
    throw invalid('A token search value needs a system or a code');
  }
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

function referenceCondition(value: string): Clause {
  if (!value.includes('/')) {
    // search.html#reference: a bare id matches a reference to that id on any type.
    return { sql: 'x.target_id = ?', params: [value] };
  }
  return { sql: 'x.target = ?', params: [parseReference(value).target] };
}

function parseDate(value: string): Range {
  const range = dateRange(value);
  if (!range) {
    throw invalid('Invalid date in a date search parameter');
  }
  return range;
}

/** FHIR R4 search.html#prefix for a value range [pl, ph] against a stored range [low, high]. */
export function rangeCondition(prefix: Prefix, p: Range, low: string, high: string, now: number): Clause {
  const contained = `${low} >= ? AND ${high} <= ?`;
  switch (prefix) {
    case 'eq':
      return { sql: contained, params: [p.low, p.high] };
    case 'ne':
      return { sql: `NOT (${contained})`, params: [p.low, p.high] };
    case 'gt':
      return { sql: `${high} > ?`, params: [p.high] };
    case 'lt':
      return { sql: `${low} < ?`, params: [p.low] };
    case 'ge':
      // The range above overlaps, or the value contains the target; the first term lets an index help.
      return { sql: `${high} >= ? AND (${high} > ? OR (${contained}))`, params: [p.low, p.high, p.low, p.high] };
    case 'le':
      return { sql: `${low} <= ? AND (${low} < ? OR (${contained}))`, params: [p.high, p.low, p.low, p.high] };
    case 'sa':
      return { sql: `${low} > ?`, params: [p.high] };
    case 'eb':
      return { sql: `${high} < ?`, params: [p.low] };
    case 'ap': {
      // "Approximately": overlap with the value widened by 10% of its distance from now.
      const margin = Math.max(Math.abs(now - p.low) * 0.1, 0);
      return { sql: `${low} <= ? AND ${high} >= ?`, params: [Math.round(p.high + margin), Math.round(p.low - margin)] };
    }
  }
}

/** The implicit precision range of a decimal (search.html#number: `100` = [99.5, 100.5)). */
function parseNumber(text: string): { value: number; half: number } {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw invalid('Invalid number in a number search parameter');
  }
  const m = /^[+-]?\d*(?:\.(\d+))?$/.exec(text.trim());
  const decimals = m?.[1]?.length ?? 0;
  return { value, half: m ? 0.5 * 10 ** -decimals : 0 };
}

function numberCondition(v: PrefixedValue): Clause {
  const { value, half } = parseNumber(v.value);
  const inRange = 'x.low >= ? AND x.high < ?';
  switch (v.prefix) {
    case 'eq':
      return half === 0 ? { sql: 'x.low >= ? AND x.high <= ?', params: [value, value] } : { sql: inRange, params: [value - half, value + half] };
    case 'ne':
      return half === 0
        ? { sql: 'NOT (x.low >= ? AND x.high <= ?)', params: [value, value] }
        : { sql: `NOT (${inRange})`, params: [value - half, value + half] };
    case 'gt':
      return { sql: 'x.high > ?', params: [value] };
    case 'ge':
      return { sql: 'x.high >= ?', params: [value] };
    case 'lt':
      return { sql: 'x.low < ?', params: [value] };
    case 'le':
      return { sql: 'x.low <= ?', params: [value] };
    case 'sa':
      return { sql: 'x.low > ?', params: [value] };
    case 'eb':
      return { sql: 'x.high < ?', params: [value] };
    case 'ap': {
      const margin = Math.abs(value) * 0.1;
      return { sql: 'x.low <= ? AND x.high >= ?', params: [value + margin, value - margin] };
    }
  }
}

function stringCondition(value: string, modifier: 'exact' | 'contains' | undefined): Clause {
  if (modifier === 'exact') {
    return { sql: 'x.value_exact = ?', params: [value] };
  }
  const norm = normalizeText(value);
  if (modifier === 'contains') {
    return { sql: "x.value_norm LIKE ? ESCAPE '\\'", params: [`%${escapeLike(norm)}%`] };
  }
  return { sql: 'x.value_norm >= ? AND x.value_norm < ?', params: [norm, prefixUpperBound(norm)] };
}

function nonEmpty<T>(values: readonly T[]): readonly T[] {
  if (values.length === 0) {
    throw invalid('A search parameter needs at least one value');
  }
  return values;
}

/** The SQL condition on `resources r` for one filter. */
export function filterClause(tenant: string, type: string, filter: SearchFilter, now: number, join: Join): Clause {
  switch (filter.kind) {
    case 'token':
      return viaIndex(indexTables.token.table, tenant, type, filter.param, or(nonEmpty(filter.values).map(tokenCondition)), join, filter.not === true);
    case 'reference':
      return viaIndex(indexTables.reference.table, tenant, type, filter.param, or(nonEmpty(filter.values).map(referenceCondition)), join);
    case 'date':
      return viaIndex(
        indexTables.date.table,
        tenant,
        type,
        filter.param,
        or(nonEmpty(filter.values).map((v) => rangeCondition(v.prefix, parseDate(v.value), 'x.low', 'x.high', now))),
        join,
      );
    case 'number':
      return viaIndex(indexTables.number.table, tenant, type, filter.param, or(nonEmpty(filter.values).map(numberCondition)), join);
    case 'string':
      return viaIndex(
        indexTables.string.table,
        tenant,
        type,
        filter.param,
        or(nonEmpty(filter.values).map((v) => stringCondition(v, filter.modifier))),
        join,
      );
    case 'uri':
      return viaIndex(
        indexTables.uri.table,
        tenant,
        type,
        filter.param,
        or(
          nonEmpty(filter.values).map((v) =>
            filter.modifier === 'below' ? { sql: 'x.value >= ? AND x.value < ?', params: [v, prefixUpperBound(v)] } : { sql: 'x.value = ?', params: [v] },
          ),
        ),
        join,
      );
    case 'id':
      return { sql: `r.id IN (${nonEmpty(filter.values).map(() => '?').join(', ')})`, params: [...filter.values] };
    case 'lastUpdated': {
      // A version's lastUpdated is an instant: the stored range is a single millisecond.
      // When another filter drives, unary `+` keeps the planner from scanning the
      // lastUpdated index instead (SQLite's documented way to disqualify an index term).
      const column = join === 'drive' ? 'r.last_updated' : '+r.last_updated';
      return or(nonEmpty(filter.values).map((v) => rangeCondition(v.prefix, parseDate(v.value), column, column, now)));
    }
    case 'missing': {
      const table = indexTables[filter.indexKind].table;
      return {
        sql: `${filter.missing ? 'NOT EXISTS' : 'EXISTS'} (SELECT 1 FROM ${table} x WHERE x.tenant = r.tenant AND x.type = r.type AND x.id = r.id AND x.param = ?)`,
        params: [filter.param],
      };
    }
  }
}
