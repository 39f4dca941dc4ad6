// The Store port: everything the gateway keeps, behind one interface with two adapters
// (SQLite through node:sqlite, PostgreSQL through pg). Every resource operation takes a
// tenant and the adapters filter by it in SQL, so no caller can read across tenants by
// forgetting a check.
import type { Resource } from '@medplum/fhirtypes';
import type { PageCursor, SearchQuery } from './search/query.ts';
import type { ReportProjectionInput } from './ops/referral-facts.ts';

export type { IndexKind, PageCursor, Prefix, PrefixedValue, SearchFilter, SearchQuery, SortKey, TokenValue } from './search/query.ts';

/** A stored version of a resource. `resource.meta.versionId/lastUpdated` are set by the store. */
export interface StoredVersion<T extends Resource = Resource> {
  resourceType: T['resourceType'];
  id: string;
  versionId: string;
  /** ISO instant with milliseconds, assigned by the store. */
  lastUpdated: string;
  /** True for the version written by a delete; `resource` is then the last live body. */
  deleted: boolean;
  resource: T;
}

export interface SearchResult {
  versions: StoredVersion[];
  /** With `total: 'accurate'` or `summaryCount`. */
  total?: number;
  /** Cursor of the next page, when there may be one. */
  next?: PageCursor;
}

export interface UpdateOptions {
  /** FHIR R4 http.html#concurrency: the versionId the caller read; a mismatch throws 412. */
  ifMatch?: string;
}

export interface HistoryOptions {
  /** Only versions with lastUpdated >= since (ISO instant). */
  since?: string;
  /** Newest first; at most `count` entries. */
  count: number;
  offset?: number;
}

/** A token, reference, string, date or number extracted from a resource for search. */
export interface IndexEntry {
  /** Search parameter code, e.g. `owner`, `status`, `_tag`. */
  param: string;
  kind: 'token' | 'reference' | 'string' | 'date' | 'number' | 'uri';
  /** token: system ('' when absent); reference: target type; others: unused. */
  system?: string;
  /**
   * token: code; reference: `Type/id` (a `/_history/n` suffix is dropped) or absolute URL;
   * string: the text as written (the store normalises case and accents for matching); uri: the uri.
   */
  value?: string;
  /**
   * date: inclusive range start/end as epoch milliseconds (`dateRange()` in search/date-range.ts
   * computes it from a FHIR date; absent = open-ended); number: low/high (one given = both).
   */
  low?: number;
  high?: number;
}

/** Derives search index entries from a resource; supplied by the FHIR API layer. */
export type Indexer = (resource: Resource) => IndexEntry[];

export type OutboxState = 'pending' | 'in-flight' | 'done' | 'dead';

export interface OutboxItem {
  id: string;
  /** Destination, e.g. an EHR connection name or a partner webhook. */
  destination: string;
  /** Items with the same key are delivered in order (e.g. `Task/123`). */
  orderingKey: string;
  /** Why the item exists, for operators (e.g. `task-status-changed`). */
  reason: string;
  payload: unknown;
  state: OutboxState;
  attempts: number;
  /** ISO instant before which the item is not claimed. */
  nextAttemptAt: string;
  lastError?: string;
  createdAt: string;
  /** Monotonic per store; defines order within an ordering key. */
  seq: number;
}

export interface NewOutboxItem {
  destination: string;
  orderingKey: string;
  reason: string;
  payload: unknown;
  /** Defaults to now. */
  notBefore?: string;
}

/** An outbox item without its payload, for operators. */
export type OutboxItemView = Omit<OutboxItem, 'payload'>;

/** Items and attempts per state of one destination. */
export interface OutboxDestinationSummary {
  destination: string;
  pending: number;
  inFlight: number;
  done: number;
  dead: number;
  /** Sum of attempts over the items in each state. */
  attempts: { pending: number; inFlight: number; done: number; dead: number };
  /** When the newest delivered item was queued. */
  newestDoneCreatedAt?: string;
}

export interface DeadLetter {
  id: string;
  outboxId: string;
  destination: string;
  orderingKey: string;
  reason: string;
  payload: unknown;
  attempts: number;
  error: string;
  createdAt: string;
}

/** A FHIR subscription's notification channel from one EHR (R4 backport event numbers). */
export interface SubscriptionChannelState {
  /** `<ehr name>|<subscription reference>`. */
  channel: string;
  ehr: string;
  /** Every event number up to this one is accounted for. */
  covered: number;
  /** The highest event number the EHR has told of (events-since-subscription-start). */
  highest: number;
  /** Event numbers above `covered` taken in; fewer than `highest - covered` means a gap. */
  recordedAbove: number;
  /** The last notification or heartbeat (ISO instant, store clock). */
  lastSeenAt: string;
}

export interface Lease {
  name: string;
  holder: string;
  /** Fencing token: strictly increases every time the lease changes hands. */
  token: number;
  expiresAt: string;
}

export interface AuditRecord {
  seq: number;
  recorded: string;
  tenant: string;
  /** The AuditEvent resource as JSON. */
  event: Resource;
  prevHash: string;
  hash: string;
}

export interface Partner {
  id: string;
  tenant: string;
  name: string;
  /** Reference to the partner's Organization, e.g. `Organization/food-bank`. */
  organization: string;
  /** Name of the mapping the partner speaks (`referral`, `referral-csv`, ...). */
  mapping: string;
  webhookUrl?: string;
  settings: Record<string, unknown>;
  createdAt: string;
}

export interface Credential {
  id: string;
  partnerId: string;
  kind: 'api-key' | 'jwks';
  /** api-key: a one-way hash of the key; jwks: the JWKS JSON. Never the key itself. */
  secretHash: string;
  /** First characters of an API key, to find the row; not secret. */
  lookup: string;
  scopes: string[];
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** Operations available both on the store and inside a transaction. */
export interface StoreOps {
  // Resources (FHIR R4 http.html). Ids are given by the caller.
  createResource<T extends Resource>(tenant: string, resource: T & { id: string }): Promise<StoredVersion<T>>;
  /**
   * Creates many new resources with few statements (imports, seeding, Bundles of creates);
   * all or nothing, 409 when any id already exists in the tenant (live or deleted).
   */
  createMany<T extends Resource>(tenant: string, resources: readonly (T & { id: string })[]): Promise<StoredVersion<T>[]>;
  /** Update, or create when absent (update-as-create). Throws 412 on an `ifMatch` mismatch. */
  updateResource<T extends Resource>(tenant: string, resource: T & { id: string }, options?: UpdateOptions): Promise<{ version: StoredVersion<T>; created: boolean }>;
  /** Writes a deleted version; reading it afterwards returns `deleted: true`. Idempotent. */
  deleteResource(tenant: string, resourceType: string, id: string): Promise<StoredVersion | undefined>;
  /** The current version, deleted or not; undefined when never written in this tenant. */
  readResource<T extends Resource>(tenant: string, resourceType: T['resourceType'], id: string): Promise<StoredVersion<T> | undefined>;
  readVersion<T extends Resource>(tenant: string, resourceType: T['resourceType'], id: string, versionId: string): Promise<StoredVersion<T> | undefined>;
  /** Instance history when `id` is given, type history otherwise. Newest first. */
  readHistory(tenant: string, resourceType: string, id: string | undefined, options: HistoryOptions): Promise<StoredVersion[]>;

  // Search (FHIR R4 search.html) through the index tables; deleted resources never match.
  search(tenant: string, query: SearchQuery): Promise<SearchResult>;
  /** Current live versions of `Type/id` references (for _include); missing or deleted ones are left out. */
  readMany(tenant: string, references: string[]): Promise<StoredVersion[]>;
  /**
   * Resources of `resourceType` whose `param` references any of `targets` (`Type/id`), for
   * _revinclude. At most `limit` (default 1000), ordered by type and id.
   */
  findReferencing(tenant: string, query: { resourceType: string; param: string; targets: string[]; limit?: number }): Promise<StoredVersion[]>;

  /**
   * Holds an exclusive lock on `key` until the transaction ends (PostgreSQL advisory
   * transaction lock; SQLite transactions are already exclusive). Used to serialise
   * conditional creates on a business identifier across replicas.
   */
  lock(key: string): Promise<void>;

  // Outbox (written in the same transaction as the change it announces).
  enqueue(item: NewOutboxItem): Promise<OutboxItem>;
  /**
   * Claims up to `limit` due items for `worker`, at most one per ordering key and only the
   * oldest unfinished item of each key; claimed items are `in-flight` until `leaseMs` passes.
   * Two workers never get the same item.
   */
  claim(worker: string, limit: number, leaseMs: number): Promise<OutboxItem[]>;
  complete(id: string, worker: string): Promise<boolean>;
  /** Records a failed attempt; the item is retried at `nextAttemptAt`. */
  retry(id: string, worker: string, error: string, nextAttemptAt: string): Promise<boolean>;
  /** Moves the item to the dead-letter list with the reason. */
  bury(id: string, worker: string, error: string): Promise<DeadLetter | undefined>;
  listDeadLetters(options: { limit: number; offset?: number }): Promise<DeadLetter[]>;
  /** Puts a dead letter back in the outbox as a fresh pending item; returns the new item. */
  requeueDeadLetter(id: string): Promise<OutboxItem | undefined>;
  countOutbox(state: OutboxState): Promise<number>;
  /** Per destination: items and attempts by state. */
  summarizeOutbox(): Promise<OutboxDestinationSummary[]>;
  readOutboxItem(id: string): Promise<OutboxItemView | undefined>;
  /** Items with any of the ordering keys (at most 200 keys), oldest first, at most `limit`. */
  listOutboxByKeys(orderingKeys: readonly string[], limit: number): Promise<OutboxItemView[]>;

  // Sync cursors: compare-and-set so that two replicas cannot move one cursor backwards.
  getCursor(name: string): Promise<string | undefined>;
  /** Sets the cursor to `next` only if it currently equals `expected` (undefined = absent). */
  compareAndSetCursor(name: string, expected: string | undefined, next: string): Promise<boolean>;

  // Leases for scheduled jobs, with fencing tokens.
  acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** True when `token` is still the current fencing token of the lease. */
  checkFence(name: string, token: number): Promise<boolean>;

  // Subscription notifications (R4 backport): event numbers per channel, last contact per EHR.
  noteSubscriptionContact(channel: string, ehr: string, highest: number): Promise<{ before: SubscriptionChannelState | undefined; after: SubscriptionChannelState }>;
  getSubscriptionChannel(channel: string): Promise<SubscriptionChannelState | undefined>;
  hasSubscriptionEvent(channel: string, eventNumber: number): Promise<boolean>;
  /** Records an event number as taken in; false when it already was. */
  recordSubscriptionEvent(channel: string, eventNumber: number): Promise<boolean>;
  /** Marks every event number up to `upTo` as accounted for (never moves back). */
  coverSubscriptionEvents(channel: string, upTo: number): Promise<void>;
  lastSubscriptionContact(ehr: string): Promise<string | undefined>;

  // Audit: append-only, hash-chained.
  appendAudit(tenant: string, event: Resource): Promise<AuditRecord>;
  readAudit(options: { afterSeq?: number; limit: number }): Promise<AuditRecord[]>;

  // Partners and their credentials.
  upsertPartner(partner: Partner): Promise<void>;
  getPartner(id: string): Promise<Partner | undefined>;
  listPartners(): Promise<Partner[]>;
  addCredential(credential: Credential): Promise<void>;
  findCredentials(lookup: string): Promise<Credential[]>;
  listCredentials(partnerId: string): Promise<Credential[]>;
  revokeCredential(id: string, at: string): Promise<boolean>;

  // Report projection (tables kept with every Task/ServiceRequest/Procedure/CarePlan/Goal write).
  /** Report input for a tenant and a half-open period [start, end) (ISO instants), read from the projection. */
  readReportProjection(tenant: string, period: { start: string; end: string }): Promise<ReportProjectionInput>;
  /**
   * Completes rows of a tenant written before the projection's later migrations (Procedure
   * times, Tasks' first service, care plans' report rows), a batch per call (a transaction
   * each); `done` when nothing is left. Run until done before reading a report.
   */
  completeReportProjection(tenant: string): Promise<{ procedures: number; tasks: number; carePlans: number; done: boolean }>;
  /** Rebuilds the projection of a tenant (all when undefined) from the version history. */
  rebuildReportProjection(tenant?: string): Promise<{ versions: number }>;
}

export interface Store extends StoreOps {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
