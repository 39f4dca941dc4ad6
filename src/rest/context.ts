// What a FHIR interaction needs to know about its request, independent of HTTP.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { StoredVersion, StoreOps } from '../store/store.ts';

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface RestContext {
  /** Every read and write is confined to this tenant by the store. */
  tenant: string;
  /** The server's base URL, ending in `/`. */
  baseUrl: string;
  /** FHIR R4 search.html#errors: Prefer: handling=strict|lenient. */
  strict: boolean;
  /** The caller, for workflow rules and audit; e.g. `Organization/food-bank`, or undefined for the platform itself. */
  actor?: string;
  /**
   * Called before every interaction, also inside batch and transaction Bundles; throws an
   * OperationOutcomeError (403) when the caller's scopes do not allow it. Absent = allowed.
   */
  authorize?: (resourceType: string, access: Access) => void;
}

/** SMART v2 scope letters: create, read, update, delete, search. */
export type Access = 'c' | 'r' | 'u' | 'd' | 's';

export interface RestResult {
  status: number;
  resource?: Resource;
  headers: Record<string, string>;
}

/** A write about to happen (or a delete, with `after` undefined), seen inside its transaction. */
export interface WriteEvent {
  ctx: RestContext;
  interaction: 'create' | 'update' | 'delete';
  before?: Resource;
  after?: Resource;
  tx: StoreOps;
}

/**
 * Plug-in points for the workflow rules and the outbox: `check` returns issues that refuse the
 * write (422), `afterWrite` runs in the same transaction (e.g. to enqueue outbox items).
 */
export interface WriteHooks {
  check?(event: WriteEvent): Promise<OperationOutcomeIssue[]>;
  afterWrite?(event: WriteEvent & { version: StoredVersion }): Promise<void>;
}
