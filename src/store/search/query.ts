// The search IR: what the FHIR API layer parses a search URL into (FHIR R4 search.html).
// Filters are ANDed; the values of one filter are ORed (search.html#combining).

/** FHIR R4 search.html#prefix. */
export type Prefix = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sa' | 'eb' | 'ap';

export type IndexKind = 'token' | 'reference' | 'string' | 'date' | 'number' | 'uri';

/**
 * search.html#token: `system|code` -> both; `code` -> system undefined (any);
 * `|code` -> system '' (no system); `system|` -> code undefined (any code in the system).
 */
export interface TokenValue {
  system?: string;
  code?: string;
}

/** A date or number with its prefix; `value` is the FHIR text (`2024-03`, `2024-03-01T10:00:00Z`, `5.40`). */
export interface PrefixedValue {
  prefix: Prefix;
  value: string;
}

export type SearchFilter =
  | { kind: 'token'; param: string; not?: boolean; values: TokenValue[] }
  /** `Type/id`, an absolute URL, or a bare id matching a reference of any type (search.html#reference). */
  | { kind: 'reference'; param: string; values: string[] }
  | { kind: 'date'; param: string; values: PrefixedValue[] }
  /** Default: starts-with, case- and accent-insensitive; `exact`; `contains` (search.html#string). */
  | { kind: 'string'; param: string; modifier?: 'exact' | 'contains'; values: string[] }
  /** Exact match, or `below` (the value is a prefix of the stored uri). */
  | { kind: 'uri'; param: string; modifier?: 'below'; values: string[] }
  | { kind: 'number'; param: string; values: PrefixedValue[] }
  | { kind: 'id'; values: string[] }
  | { kind: 'lastUpdated'; values: PrefixedValue[] }
  /** search.html#missing: `missing: true` -> no value indexed for the parameter. */
  | { kind: 'missing'; param: string; indexKind: IndexKind; missing: boolean };

/** A sort key (search.html#sort); an indexed parameter sorts by its lowest value ascending, highest descending. */
export type SortKey =
  | { param: '_lastUpdated' | '_id'; descending?: boolean }
  | { param: string; kind: IndexKind; descending?: boolean };

/** Opaque keyset cursor returned as `next`; pass it back unchanged as `cursor`. */
export type PageCursor = string;

export interface SearchQuery {
  resourceType: string;
  filters: SearchFilter[];
  /** The resource id is always the last tie-breaker. Default: `_id` ascending. */
  sort?: SortKey[];
  /** Page size; default 20, at most 1000. */
  count?: number;
  cursor?: PageCursor;
  /** search.html#total; default 'none'. */
  total?: 'none' | 'accurate';
  /** `_summary=count`: only the total, no resources. */
  summaryCount?: boolean;
}
