// Builds the SQL of a search page (FHIR R4 search.html#sort, #count) with keyset paging:
// rows are ordered by the sort keys then the id, and the next page starts strictly after
// the last row, so rows not modified in between are neither repeated nor skipped.
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { badRequest } from '../../fhir/outcomes.ts';
import { indexTables } from '../ops/index-rows.ts';
import { versionColumns } from '../ops/resources.ts';
import type { SqlValue } from '../sql/executor.ts';
import type { CursorPosition } from './cursor.ts';
import { chooseDriver, filterClause, type Clause } from './filters.ts';
import type { IndexKind, SearchQuery, SortKey } from './query.ts';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

// Values beyond anything stored, so resources without a value sort last in both directions.
const NUMBER_LAST_ASC = '9007199254740991';
const NUMBER_LAST_DESC = '-9007199254740991';
const TEXT_LAST_ASC = "'\u{10FFFF}'";
const TEXT_LAST_DESC = "''";

const sortColumn: Record<IndexKind, { asc: string; desc: string; numeric: boolean }> = {
  token: { asc: 'code', desc: 'code', numeric: false },
  reference: { asc: 'target', desc: 'target', numeric: false },
  string: { asc: 'value_norm', desc: 'value_norm', numeric: false },
  uri: { asc: 'value', desc: 'value', numeric: false },
  // search.html#sort: a range sorts by its start ascending and its end descending.
  date: { asc: 'low', desc: 'high', numeric: true },
  number: { asc: 'low', desc: 'high', numeric: true },
};

/**
 * The SQL expression for one sort key and its parameters. With a driving filter the rows
 * come from its index and are sorted afterwards; unary `+` then keeps keyset bounds on
 * lastUpdated from pulling the planner onto the lastUpdated index.
 */
function sortExpression(key: SortKey, hasDriver: boolean): Clause {
  if (key.param === '_lastUpdated') {
    return { sql: hasDriver ? '+r.last_updated' : 'r.last_updated', params: [] };
  }
  if (key.param === '_id') {
    return { sql: 'r.id', params: [] };
  }
  if (!('kind' in key) || !(key.kind in indexTables)) {
    throw new OperationOutcomeError(badRequest('A sort parameter needs its search parameter type'));
  }
  const column = sortColumn[key.kind];
  const descending = key.descending === true;
  const aggregate = descending ? `MAX(x.${column.desc})` : `MIN(x.${column.asc})`;
  const last = column.numeric ? (descending ? NUMBER_LAST_DESC : NUMBER_LAST_ASC) : descending ? TEXT_LAST_DESC : TEXT_LAST_ASC;
  return {
    sql: `COALESCE((SELECT ${aggregate} FROM ${indexTables[key.kind].table} x WHERE x.tenant = r.tenant AND x.type = r.type AND x.id = r.id AND x.param = ?), ${last})`,
    params: [key.param],
  };
}

export interface SearchPlan {
  /** Page query; rows have the version columns plus `s0..sN`. */
  page: Clause;
  /** COUNT(*) over the same filters. */
  count: Clause;
  keyCount: number;
  limit: number;
}

export function pageSize(query: SearchQuery): number {
  const count = query.count ?? DEFAULT_COUNT;
  if (!Number.isInteger(count) || count < 0) {
    throw new OperationOutcomeError(badRequest('_count must be a whole number of 0 or more'));
  }
  return Math.min(count, MAX_COUNT);
}

export function planSearch(tenant: string, query: SearchQuery, after: CursorPosition | undefined, now: number): SearchPlan {
  const where: Clause[] = [{ sql: 'r.tenant = ? AND r.type = ? AND r.deleted = 0', params: [tenant, query.resourceType] }];
  const driver = chooseDriver(query.filters);
  query.filters.forEach((filter, index) => {
    where.push(filterClause(tenant, query.resourceType, filter, now, index === driver ? 'drive' : 'check'));
  });
  const whereSql = where.map((c) => c.sql).join(' AND ');
  const whereParams = where.flatMap((c) => c.params);

  // The id is always the last key; an explicit `_id` key takes its place.
  const keys = (query.sort ?? []).filter((key, index, all) => key.param !== '_id' || index === all.length - 1);
  const last = keys.at(-1);
  const idDescending = last?.param === '_id' ? last.descending === true : false;
  const sortKeys = last?.param === '_id' ? keys.slice(0, -1) : keys;
  const expressions = sortKeys.map((key) => sortExpression(key, driver >= 0 && query.filters[driver].kind !== 'lastUpdated'));

  const select = expressions.map((e, i) => `${e.sql} AS s${i}`);
  const inner = `SELECT r.${versionColumns.split(', ').join(', r.')}${select.length ? `, ${select.join(', ')}` : ''}
    FROM resources r WHERE ${whereSql}`;
  const innerParams = [...expressions.flatMap((e) => e.params), ...whereParams];

  const outer: Clause[] = [];
  if (after) {
    outer.push(keysetCondition(sortKeys, idDescending, after));
  }
  const order = [...sortKeys.map((k, i) => `q.s${i} ${k.descending ? 'DESC' : 'ASC'}`), `q.id ${idDescending ? 'DESC' : 'ASC'}`];
  const limit = pageSize(query);
  const page: Clause = {
    sql: `SELECT * FROM (${inner}) q${outer.length ? ` WHERE ${outer.map((c) => c.sql).join(' AND ')}` : ''}
      ORDER BY ${order.join(', ')} LIMIT ?`,
    params: [...innerParams, ...outer.flatMap((c) => c.params), limit + 1],
  };
  const count: Clause = { sql: `SELECT COUNT(*) AS n FROM resources r WHERE ${whereSql}`, params: whereParams };
  return { page, count, keyCount: sortKeys.length, limit };
}

/** Rows strictly after `after` in (s0, s1, ..., id) order, each key in its own direction. */
function keysetCondition(keys: SortKey[], idDescending: boolean, after: CursorPosition): Clause {
  const columns = [...keys.map((k, i) => ({ sql: `q.s${i}`, descending: k.descending === true })), { sql: 'q.id', descending: idDescending }];
  const values: SqlValue[] = [...after.keys, after.id];
  const alternatives: Clause[] = columns.map((column, i) => {
    const equal = columns.slice(0, i).map((c) => `${c.sql} = ?`);
    return {
      sql: [...equal, `${column.sql} ${column.descending ? '<' : '>'} ?`].join(' AND '),
      params: [...values.slice(0, i), values[i]],
    };
  });
  // The leading bound alone narrows an index range; the alternatives decide.
  const first = columns[0];
  return {
    sql: `${first.sql} ${first.descending ? '<=' : '>='} ? AND (${alternatives.map((a) => `(${a.sql})`).join(' OR ')})`,
    params: [values[0], ...alternatives.flatMap((a) => a.params)],
  };
}
