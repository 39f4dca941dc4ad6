// The audit trail over the store: append (outbound EHR calls), verify the hash chain, and the
// admin's search by patient and date. The chain itself is ../store/audit-chain.ts.
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { findBrokenLink, GENESIS_HASH } from '../store/audit-chain.ts';
import type { AuditRecord, Store, StoreOps } from '../store/store.ts';
import { buildAuditEvent } from './audit-event.ts';

const PAGE = 1000;

export interface OutboundCall {
  /** Tenant on whose behalf the call was made (`platform` for the sync engine). */
  tenant: string;
  method: string;
  /** The EHR URL called; only its host and the resource type/id are recorded, never the query. */
  url: string;
  status: number;
  /** `Type/id` of the resource read or written, when known. */
  resource?: string;
  patient?: string;
  /** The search criteria, when the call was a search (kept in the audit store only). */
  query?: string;
  now?: () => number;
}

/**
 * One AuditEvent per outbound EHR call (issue 8, Audit). Throws when the append fails, so the
 * caller can fail or queue the call instead of losing the record.
 */
export async function auditOutbound(store: Pick<StoreOps, 'appendAudit'>, call: OutboundCall): Promise<AuditRecord> {
  const url = new URL(call.url);
  const method = call.method.toUpperCase();
  const action = method === 'POST' ? 'C' : method === 'PUT' || method === 'PATCH' ? 'U' : method === 'DELETE' ? 'D' : call.query !== undefined ? 'E' : 'R';
  const interaction = { C: 'create', U: 'update', D: 'delete', E: 'search-type', R: 'read' }[action];
  const event = buildAuditEvent({
    recorded: new Date(call.now?.() ?? Date.now()).toISOString(),
    direction: 'outbound',
    interaction,
    action,
    status: call.status,
    network: url.host,
    resource: call.resource,
    patient: call.patient,
    query: call.query,
  });
  return store.appendAudit(call.tenant, event);
}

export interface VerifyResult {
  records: number;
  /** The seq of the first record whose hash or link is wrong. */
  brokenAt?: number;
  /** The seq where a gap was found (a removed row). */
  gapAt?: number;
}

/** Walks the whole chain in pages; a changed, removed or reordered row is reported. */
export async function verifyAuditChain(store: Pick<StoreOps, 'readAudit'>): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await store.readAudit({ afterSeq: after, limit: PAGE });
    if (page.length === 0) {
      return { records: count };
    }
    for (const record of page) {
      if (record.seq !== after + 1) {
        return { records: count, gapAt: after + 1 };
      }
      const broken = findBrokenLink([record], prev);
      if (broken !== undefined) {
        return { records: count, brokenAt: broken };
      }
      prev = record.hash;
      after = record.seq;
      count += 1;
    }
  }
}

export interface AuditQuery {
  /** `Patient/id` or a bare id. */
  patient?: string;
  /** FHIR date search values with prefixes eq (default), ge, gt, le, lt (search.html#prefix). */
  date: string[];
  tenant?: string;
  count: number;
}

/** AuditEvent?patient=...&date=... for the admin: a scan of the chain, newest last, at most `count`. */
export async function searchAudit(store: Pick<StoreOps, 'readAudit'>, query: AuditQuery, baseUrl: string): Promise<Bundle<AuditEvent>> {
  const patient = query.patient === undefined ? undefined : query.patient.includes('/') ? query.patient : `Patient/${query.patient}`;
  const ranges = query.date.map(dateTest);
  const matches: AuditRecord[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readAudit({ afterSeq: after, limit: PAGE });
    if (page.length === 0) break;
    for (const record of page) {
      after = record.seq;
      const event = record.event as AuditEvent;
      if (query.tenant !== undefined && record.tenant !== query.tenant) continue;
      if (patient && !(event.entity ?? []).some((e) => e.what?.reference === patient)) continue;
      const at = Date.parse(event.recorded);
      if (!ranges.every((test) => test(at))) continue;
      matches.push(record);
    }
  }
  const shown = matches.slice(-query.count);
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    entry: shown.map((r) => ({ fullUrl: new URL(`admin/AuditEvent/${(r.event as AuditEvent).id}`, baseUrl).href, resource: r.event as AuditEvent, search: { mode: 'match' } })),
  };
}

const DATE = /^(ge|gt|le|lt|eq)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** A test on epoch ms for one FHIR date search value; the value's precision sets its range. */
export function dateTest(value: string): (at: number) => boolean {
  const match = DATE.exec(value);
  if (!match) {
    throw new RangeError('date must be YYYY, YYYY-MM or YYYY-MM-DD with an optional prefix ge, gt, le, lt, eq');
  }
  const [, prefix = 'eq', y, m, d] = match;
  const start = Date.UTC(Number(y), m ? Number(m) - 1 : 0, d ? Number(d) : 1);
  const end = d ? Date.UTC(Number(y), Number(m) - 1, Number(d) + 1) : m ? Date.UTC(Number(y), Number(m), 1) : Date.UTC(Number(y) + 1, 0, 1);
  switch (prefix) {
    case 'ge': return (at) => at >= start;
    case 'gt': return (at) => at >= end;
    case 'le': return (at) => at < end;
    case 'lt': return (at) => at < start;
    default: return (at) => at >= start && at < end;
  }
}
