// The parsed form of a FHIR search (FHIR R4 search.html), independent of HTTP and SQL.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sa' | 'eb' | 'ap';

export type FilterValue =
  /** system undefined = any system; '' = no system (`|code`); code undefined = any code (`system|`). */
  | { kind: 'token'; system?: string; code?: string }
  /** `Type/id`, an absolute URL, or a bare id (any type). */
  | { kind: 'reference'; type?: string; id?: string; url?: string }
  | { kind: 'string'; value: string }
  | { kind: 'uri'; value: string }
  /** `text` is the value as written, without its prefix. */
  | { kind: 'date'; prefix: DatePrefix; low: number; high: number; text: string }
  | { kind: 'number'; prefix: DatePrefix; low: number; high: number; text: string };

export type FilterModifier = 'missing' | 'not' | 'exact' | 'contains' | 'below' | 'above' | 'text' | 'identifier';

export interface Filter {
  /** Search parameter code; `_id` and `_lastUpdated` are special. */
  code: string;
  modifier?: FilterModifier;
  /** For `:missing`: true = only resources without a value. */
  missing?: boolean;
  /** OR of values (comma-separated in the URL). */
  values: FilterValue[];
}

export interface SortKey {
  code: string;
  descending: boolean;
}

export interface IncludeSpec {
  /** Resource type that holds the reference (`Task` in `Task:focus`). */
  sourceType: string;
  param: string;
  targetType?: string;
  iterate?: boolean;
}

export interface ParsedSearch {
  resourceType: string;
  filters: Filter[];
  sort: SortKey[];
  count: number;
  /** Opaque keyset cursor from a previous page's next link. */
  cursor?: string;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  total: 'none' | 'accurate';
  summaryCount: boolean;
  /** Issues about parameters that were ignored (lenient handling). */
  warnings: OperationOutcomeIssue[];
  /** The query as received, without paging parameters, to build self/next links. */
  canonicalQuery: URLSearchParams;
}
