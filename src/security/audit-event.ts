// AuditEvent in the IHE Basic Audit Log Patterns style (IHE BALP, "minimal" pattern on FHIR
// R4 auditevent.html): who (a reference or credential id, never a name), the client address,
// the RESTful action, the resource and patient by id, the outcome; a search records its query
// (entity.query, base64), never its results. Pure.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';

export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
export const CREDENTIAL_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/credential';
export const REQUEST_ID_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/request-id';
export const GATEWAY_NAME = 'social-care-gateway';

export interface AuditFacts {
  recorded: string;
  direction: 'inbound' | 'outbound';
  /** FHIR restful-interaction code, or `operation` for anything else (token, admin). */
  interaction: string;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  status: number;
  /** `Organization/x` for a partner, `admin`, or undefined (anonymous, or the gateway outbound). */
  who?: string;
  credentialId?: string;
  /** Inbound: the client's address; outbound: the EHR's host. */
  network?: string;
  requestId?: string;
  /** `Type/id` of the resource acted on. */
  resource?: string;
  /** `Patient/id` when known. */
  patient?: string;
  /** Search and operation parameters (the query string), recorded only for searches. */
  query?: string;
  /** Short route shape, e.g. `/Task/:id`, for events that are not FHIR interactions. */
  route?: string;
}

export function auditOutcome(status: number): AuditEvent['outcome'] {
  if (status < 400) return '0';
  if (status < 500) return '4';
  return '8';
}

export function buildAuditEvent(facts: AuditFacts): AuditEvent {
  const requestor: AuditEventAgent = {
    requestor: facts.direction === 'inbound',
    ...(facts.who === 'admin'
      ? { who: { display: 'gateway administrator' } }
      : facts.who
        ? { who: { reference: facts.who } }
        : { who: { display: facts.direction === 'inbound' ? 'anonymous' : GATEWAY_NAME } }),
    ...(facts.credentialId ? { altId: facts.credentialId } : {}),
    ...(facts.direction === 'inbound' && facts.network ? { network: { address: facts.network, type: '2' as const } } : {}),
  };
  const agents: AuditEventAgent[] = [requestor];
  if (facts.direction === 'outbound') {
    requestor.requestor = true;
    requestor.who = { display: GATEWAY_NAME };
    agents.push({ requestor: false, who: { display: 'EHR' }, ...(facts.network ? { network: { address: facts.network, type: '1' as const } } : {}) });
  }
  const entity: AuditEventEntity[] = [];
  if (facts.resource) {
    entity.push({ what: { reference: facts.resource }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  }
  if (facts.patient) {
    entity.push({ what: { reference: facts.patient }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  if (facts.query) {
    entity.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: Buffer.from(facts.query, 'utf8').toString('base64') });
  }
  if (facts.requestId) {
    entity.push({ what: { identifier: { system: REQUEST_ID_SYSTEM, value: facts.requestId } }, type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, ...(facts.route ? { description: facts.route } : {}) });
  }
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: RESTFUL_INTERACTION, code: facts.interaction }],
    action: facts.action,
    recorded: facts.recorded,
    outcome: auditOutcome(facts.status),
    outcomeDesc: `HTTP ${facts.status}`,
    agent: agents,
    source: { observer: { display: GATEWAY_NAME }, type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    ...(entity.length ? { entity } : {}),
  };
}

/** The interaction and action of a FHIR REST request (FHIR R4 http.html#summary). */
export function classifyRequest(method: string, segments: string[]): { interaction: string; action: AuditFacts['action'] } {
  const m = method.toUpperCase();
  if (segments.length === 0) {
    return m === 'POST' ? { interaction: 'transaction', action: 'E' } : { interaction: 'search-system', action: 'E' };
  }
  if (segments.length === 1) {
    if (m === 'POST') return { interaction: 'create', action: 'C' };
    if (m === 'PUT') return { interaction: 'update', action: 'U' };
    return { interaction: 'search-type', action: 'E' };
  }
  if (segments[1] === '_search') return { interaction: 'search-type', action: 'E' };
  if (segments[1] === '_history') return { interaction: 'history-type', action: 'R' };
  if (segments.length === 2) {
    if (m === 'PUT') return { interaction: 'update', action: 'U' };
    if (m === 'PATCH') return { interaction: 'patch', action: 'U' };
    if (m === 'DELETE') return { interaction: 'delete', action: 'D' };
    return { interaction: 'read', action: 'R' };
  }
  if (segments[2] === '_history') return segments.length === 4 ? { interaction: 'vread', action: 'R' } : { interaction: 'history-instance', action: 'R' };
  return { interaction: 'operation', action: 'E' };
}
