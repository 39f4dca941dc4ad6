// Turns the indexer's entries into rows of the index tables (pure). Entries without the
// values their kind needs are dropped; duplicates are written once.
import { MAX_INSTANT, MIN_INSTANT } from '../search/date-range.ts';
import { normalizeText } from '../search/normalize.ts';
import type { IndexEntry } from '../store.ts';
import type { SqlValue } from '../sql/executor.ts';

export interface IndexTable {
  table: string;
  /** Columns after (tenant, type, id, param). */
  columns: readonly string[];
}

export const indexTables = {
  token: { table: 'idx_token', columns: ['system', 'code'] },
  reference: { table: 'idx_reference', columns: ['target', 'target_type', 'target_id'] },
  string: { table: 'idx_string', columns: ['value_norm', 'value_exact'] },
  date: { table: 'idx_date', columns: ['low', 'high'] },
  number: { table: 'idx_number', columns: ['low', 'high'] },
  uri: { table: 'idx_uri', columns: ['value'] },
} as const satisfies Record<IndexEntry['kind'], IndexTable>;

export type IndexRows = Record<IndexEntry['kind'], SqlValue[][]>;

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** FHIR R4 search.html#reference: a relative `Type/id` (version dropped), or an absolute URL kept as is. */
export function parseReference(value: string, type?: string): { target: string; targetType: string | null; targetId: string | null } {
  const m = LOCAL_REFERENCE.exec(value);
  if (m) {
    return { target: `${m[1]}/${m[2]}`, targetType: m[1], targetId: m[2] };
  }
  return { target: value, targetType: type ? type : null, targetId: null };
}

function finite(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Per kind, the values (param first) of each row to insert. */
export function indexRows(entries: readonly IndexEntry[]): IndexRows {
  const rows: IndexRows = { token: [], reference: [], string: [], date: [], number: [], uri: [] };
  const seen = new Set<string>();
  const add = (kind: IndexEntry['kind'], row: SqlValue[]): void => {
    const key = JSON.stringify([kind, row]);
    if (!seen.has(key)) {
      seen.add(key);
      rows[kind].push(row);
    }
  };
  for (const entry of entries) {
    if (typeof entry.param !== 'string' || entry.param === '') {
      continue;
    }
    switch (entry.kind) {
      case 'token':
        if (typeof entry.value === 'string' && entry.value !== '') {
          add('token', [entry.param, entry.system ?? '', entry.value]);
        }
        break;
      case 'reference':
        if (typeof entry.value === 'string' && entry.value !== '') {
          const ref = parseReference(entry.value, entry.system);
          add('reference', [entry.param, ref.target, ref.targetType, ref.targetId]);
        }
        break;
      case 'string':
        if (typeof entry.value === 'string' && entry.value.trim() !== '') {
          add('string', [entry.param, normalizeText(entry.value), entry.value]);
        }
        break;
      case 'date': {
        if (!finite(entry.low) && !finite(entry.high)) {
          break;
        }
        add('date', [entry.param, finite(entry.low) ? entry.low : MIN_INSTANT, finite(entry.high) ? entry.high : MAX_INSTANT]);
        break;
      }
      case 'number': {
        const low = finite(entry.low) ? entry.low : entry.high;
        const high = finite(entry.high) ? entry.high : entry.low;
        if (finite(low) && finite(high)) {
          add('number', [entry.param, low, high]);
        }
        break;
      }
      case 'uri':
        if (typeof entry.value === 'string' && entry.value !== '') {
          add('uri', [entry.param, entry.value]);
        }
        break;
    }
  }
  return rows;
}
