// The Connections page's figures: per EHR and per partner, the outbox of its destination
// (depth, failed attempts, dead letters), the poll cursors and, for EHRs, the last
// successful poll (the newest cursor: the EHR's own time of the last query whose pages were
// all applied). Pure: the route reads the store and hands the rows in.
import type { OutboxDestinationSummary } from '../store/store.ts';

export interface OutboxFigures {
  /** Items waiting (pending) or being delivered (in flight). */
  depth: number;
  pending: number;
  inFlight: number;
  delivered: number;
  dead: number;
  /** Failed delivery attempts / all finished attempts; null before any attempt finished. */
  errorRate: number | null;
  failedAttempts: number;
  /** When the newest delivered item was queued. */
  newestDeliveredQueuedAt?: string;
}

export interface EhrConnectionInput {
  name: string;
  baseUrl: string;
  organizations: readonly string[];
  pollSchedule: string;
}

export interface EhrConnectionView {
  kind: 'ehr';
  name: string;
  destination: string;
  /** Scheme, host and port of the EHR's base URL (no path, no query). */
  origin: string;
  pollSchedule: string;
  cursors: { organization: string; cursor?: string }[];
  lastSuccessfulPoll?: string;
  outbox: OutboxFigures;
}

export interface PartnerConnectionInput {
  id: string;
  name: string;
  organization: string;
  tenant: string;
  mapping: string;
  hasWebhook: boolean;
}

export interface PartnerConnectionView extends PartnerConnectionInput {
  kind: 'partner';
  destination: string;
  outbox: OutboxFigures;
}

const EMPTY: OutboxDestinationSummary = { destination: '', pending: 0, inFlight: 0, done: 0, dead: 0, attempts: { pending: 0, inFlight: 0, done: 0, dead: 0 } };

/**
 * Every attempt on a pending or dead item failed; a delivered item had one good attempt and
 * `attempts - 1` failed ones; an in-flight item's last attempt has not finished.
 */
export function outboxFigures(summary: OutboxDestinationSummary | undefined): OutboxFigures {
  const s = summary ?? EMPTY;
  const failedInFlight = Math.max(0, s.attempts.inFlight - s.inFlight);
  const failedAttempts = s.attempts.pending + s.attempts.dead + Math.max(0, s.attempts.done - s.done) + failedInFlight;
  const finished = failedAttempts + s.done;
  return {
    depth: s.pending + s.inFlight,
    pending: s.pending,
    inFlight: s.inFlight,
    delivered: s.done,
    dead: s.dead,
    failedAttempts,
    errorRate: finished === 0 ? null : failedAttempts / finished,
    ...(s.newestDoneCreatedAt ? { newestDeliveredQueuedAt: s.newestDoneCreatedAt } : {}),
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export function ehrConnectionView(ehr: EhrConnectionInput, cursors: { organization: string; cursor?: string }[], summary: OutboxDestinationSummary | undefined): EhrConnectionView {
  const times = cursors.flatMap((c) => (c.cursor && !Number.isNaN(Date.parse(c.cursor)) ? [c.cursor] : []));
  const last = times.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  return {
    kind: 'ehr',
    name: ehr.name,
    destination: `ehr:${ehr.name}`,
    origin: originOf(ehr.baseUrl),
    pollSchedule: ehr.pollSchedule,
    cursors,
    ...(last ? { lastSuccessfulPoll: last } : {}),
    outbox: outboxFigures(summary),
  };
}

export function partnerConnectionView(partner: PartnerConnectionInput, summary: OutboxDestinationSummary | undefined): PartnerConnectionView {
  return { kind: 'partner', ...partner, destination: `webhook:${partner.id}`, outbox: outboxFigures(summary) };
}
