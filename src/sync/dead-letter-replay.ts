// Replaying a dead letter (admin API, console, `gateway replay`): the letter goes back to the
// outbox and an AuditEvent naming it and the new outbox item is appended in the same store
// transaction, so a replay is never without its record (nor a record without its replay).
import type { AuditEvent } from '@medplum/fhirtypes';
import { buildAuditEvent } from '../security/audit-event.ts';
import type { Store } from '../store/store.ts';

/** Identifier system of dead letters (outbox item ids) in AuditEvent.entity. */
export const DEAD_LETTER_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/dead-letter';

/** Who asked: the HTTP route and its request, or the CLI command. */
export interface ReplayRequest {
  route: string;
  nowMs: number;
  network?: string;
  requestId?: string;
}

function replayAuditEvent(request: ReplayRequest, deadLetterId: string, outboxId: string): AuditEvent {
  const event = buildAuditEvent({
    recorded: new Date(request.nowMs).toISOString(),
    direction: 'inbound',
    interaction: 'operation',
    action: 'E',
    status: 202,
    who: 'admin',
    network: request.network,
    requestId: request.requestId,
    route: request.route,
  });
  event.entity = [
    ...(event.entity ?? []),
    {
      what: { identifier: { system: DEAD_LETTER_SYSTEM, value: deadLetterId } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      description: `dead letter replayed as outbox item ${outboxId}`,
    },
  ];
  return event;
}

/** Requeues dead letter `id` with its AuditEvent; undefined when there is no such letter. */
export async function replayDeadLetter(
  store: Store,
  id: string,
  request: ReplayRequest,
): Promise<{ outboxId: string; state: string; auditEvent: string } | undefined> {
  return store.transaction(async (tx) => {
    const item = await tx.requeueDeadLetter(id);
    if (!item) return undefined;
    const event = replayAuditEvent(request, id, item.id);
    await tx.appendAudit('admin', event);
    return { outboxId: item.id, state: item.state, auditEvent: `AuditEvent/${event.id}` };
  });
}
