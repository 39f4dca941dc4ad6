// The port through which the gateway talks to an EHR's FHIR REST API (FHIR R4 http.html).
// Sync code depends on this interface only; `createEhrClient` is the HTTP implementation.
import type { Bundle, Identifier, Resource } from '@medplum/fhirtypes';

export interface CallOptions {
  /** Cancels the call (e.g. on shutdown); the call then fails as transient. */
  signal?: AbortSignal;
}

export interface TransactionOptions extends CallOptions {
  /** Every entry is conditional or versioned, so a repeat cannot apply anything twice: retry timeouts too. */
  idempotent?: boolean;
}

export interface BusinessIdentifier extends Identifier {
  system: string;
  value: string;
}

/** One page of search results. */
export interface SearchPage<T extends Resource> {
  bundle: Bundle<T>;
  /** The resources of the page with `search.mode` match (not _include-d ones). */
  resources: T[];
  /**
   * The server's time for this page: Bundle.meta.lastUpdated, else the Date header, as an
   * instant. Polling cursors come from here, never from the local clock (RELIABILITY.md).
   */
  serverTime?: string;
}

export interface ConditionalCreateResult<T extends Resource> {
  resource: T;
  /** False when the EHR already held a resource with the identifier. */
  created: boolean;
}

export interface EhrClient {
  read<T extends Resource>(resourceType: T['resourceType'], id: string, options?: CallOptions): Promise<T>;
  /** Pages of a type-level search, following `next` links on the EHR's own base URL only. */
  search<T extends Resource>(resourceType: T['resourceType'], params: URLSearchParams, options?: CallOptions): AsyncIterable<SearchPage<T>>;
  /** A plain create: not retried once the EHR may have stored it. Prefer conditionalCreate. */
  create<T extends Resource>(resource: T, options?: CallOptions): Promise<T>;
  /** FHIR R4 http.html#ccreate: create unless a resource with this business identifier exists. */
  conditionalCreate<T extends Resource>(resource: T, identifier: BusinessIdentifier, options?: CallOptions): Promise<ConditionalCreateResult<T>>;
  /** FHIR R4 http.html#concurrency: update only if the EHR still holds version `versionId`. */
  update<T extends Resource>(resource: T, versionId: string, options?: CallOptions): Promise<T>;
  /** FHIR R4 http.html#transaction. Retried only when the EHR says it did not process it. */
  transaction(bundle: Bundle, options?: TransactionOptions): Promise<Bundle>;
}
