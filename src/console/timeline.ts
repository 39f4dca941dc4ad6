// A referral's timeline in one list: the source Task's status changes (the platform's
// record), each downstream Task's status changes (partOf the source, as the organisation
// wrote them in its own tenant), the outbox deliveries of those Tasks, and the outcomes
// (Procedures) reported back. Only codes, statuses and technical ids; no free text. Pure.
import type { CodeableConcept, Procedure, Task } from '@medplum/fhirtypes';
import type { OutboxItemView, StoredVersion } from '../store/store.ts';

export type TimelineSide = 'source' | 'downstream' | 'delivery' | 'outcome';

export interface TimelineEvent {
  at: string;
  side: TimelineSide;
  /** `Task/id`, `Procedure/id`, or the outbox destination. */
  subject: string;
  /** The organisation acting or addressed (`Organization/x`), when known. */
  organization?: string;
  /** Task status, outbox state, or Procedure status. */
  status: string;
  /** Short label: `created`, `status`, a coded reason, the outbox reason, the service code. */
  label: string;
  versionId?: string;
  attempts?: number;
}

export interface DownstreamHistory {
  taskId: string;
  organization?: string;
  /** Oldest first. */
  versions: StoredVersion<Task>[];
}

function codeLabel(concept: CodeableConcept | undefined): string | undefined {
  const coding = concept?.coding?.find((c) => c.code || c.display);
  return coding ? (coding.display ?? coding.code) : undefined;
}

/** One event per version that created the Task or changed its status or business status. */
export function taskEvents(versions: readonly StoredVersion<Task>[], side: 'source' | 'downstream', organization?: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  let previous: Task | undefined;
  const ordered = [...versions].sort((a, b) => Number(a.versionId) - Number(b.versionId));
  for (const version of ordered) {
    const task = version.resource;
    const changed = !previous || previous.status !== task.status || codeLabel(previous.businessStatus) !== codeLabel(task.businessStatus);
    if (!version.deleted && changed) {
      const reason = codeLabel(task.statusReason);
      const business = codeLabel(task.businessStatus);
      events.push({
        at: version.lastUpdated,
        side,
        subject: `Task/${version.id}`,
        ...((organization ?? task.owner?.reference) ? { organization: organization ?? task.owner?.reference } : {}),
        status: task.status,
        label: [previous ? 'status' : 'created', reason ? `reason: ${reason}` : undefined, business ? `business status: ${business}` : undefined].filter(Boolean).join('; '),
        versionId: version.versionId,
      });
    }
    previous = task;
  }
  return events;
}

export function deliveryEvents(items: readonly OutboxItemView[]): TimelineEvent[] {
  return items.map((item) => ({
    at: item.createdAt,
    side: 'delivery',
    subject: item.destination,
    status: item.state === 'done' ? 'delivered' : item.state,
    label: `${item.reason} (${item.orderingKey})`,
    attempts: item.attempts,
  }));
}

export function outcomeEvents(procedures: readonly StoredVersion<Procedure>[]): TimelineEvent[] {
  return procedures.map((version) => {
    const p = version.resource;
    const performed = p.performedDateTime ?? p.performedPeriod?.end ?? p.performedPeriod?.start;
    return {
      at: performed && !Number.isNaN(Date.parse(performed)) ? new Date(Date.parse(performed)).toISOString() : version.lastUpdated,
      side: 'outcome',
      subject: `Procedure/${version.id}`,
      status: p.status,
      label: codeLabel(p.code) ?? 'outcome',
    };
  });
}

export function buildTimeline(input: {
  source: readonly StoredVersion<Task>[];
  downstream: readonly DownstreamHistory[];
  deliveries: readonly OutboxItemView[];
  outcomes: readonly StoredVersion<Procedure>[];
}): TimelineEvent[] {
  const order: Record<TimelineSide, number> = { source: 0, downstream: 1, outcome: 2, delivery: 3 };
  return [
    ...taskEvents(input.source, 'source'),
    ...input.downstream.flatMap((d) => taskEvents(d.versions, 'downstream', d.organization)),
    ...deliveryEvents(input.deliveries),
    ...outcomeEvents(input.outcomes),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || order[a.side] - order[b.side]);
}
