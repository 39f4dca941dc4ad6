// The EHR's side of FHIR Subscriptions (R4 backport) for tests: builds notification Bundles
// (type history, a Parameters SubscriptionStatus first, then the focus entries) and POSTs them
// to the gateway's rest-hook endpoint, as the EHR's notification sender would.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcome, Parameters, ParametersParameter, Task } from '@medplum/fhirtypes';

export const SUBSCRIPTION_SECRET = 'test-subscription-secret-0123456789';
export const SECRET_ENV = 'GATEWAY_TEST_SUBSCRIPTION_SECRET';

export interface NotifiedEvent {
  number: number;
  task: Task;
}

export interface NotificationInput {
  /** The EHR's FHIR base, ending in `/`. */
  base: string;
  subscriptionId?: string;
  type: 'handshake' | 'heartbeat' | 'event-notification';
  eventsSinceStart: number;
  events?: NotifiedEvent[];
  /** Carry the Tasks themselves (full-resource) or only their references (id-only). */
  full?: boolean;
  /** Where the focus references point; default the EHR's base. */
  focusBase?: string;
}

export function notificationBundle(input: NotificationInput): Bundle {
  const subscription = `${input.base}Subscription/${input.subscriptionId ?? 'referrals'}`;
  const focusBase = input.focusBase ?? input.base;
  const events = input.events ?? [];
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: subscription } },
    { name: 'topic', valueCanonical: 'http://example.org/SubscriptionTopic/referral-task' },
    { name: 'status', valueCode: 'active' },
    { name: 'type', valueCode: input.type },
    { name: 'events-since-subscription-start', valueString: String(input.eventsSinceStart) },
    ...events.map((event) => ({
      name: 'notification-event',
      part: [
        { name: 'event-number', valueString: String(event.number) },
        { name: 'timestamp', valueInstant: new Date().toISOString() },
        { name: 'focus', valueReference: { reference: `${focusBase}Task/${event.task.id}` } },
      ],
    })),
  ];
  const status: Parameters = { resourceType: 'Parameters', parameter };
  const entry: BundleEntry[] = [
    { fullUrl: `urn:uuid:${randomUUID()}`, resource: status, request: { method: 'GET', url: `${subscription}/$status` }, response: { status: '200' } },
    ...events.map((event) => ({
      fullUrl: `${focusBase}Task/${event.task.id}`,
      ...(input.full ? { resource: event.task } : {}),
      request: { method: 'PUT' as const, url: `Task/${event.task.id}` },
      response: { status: '200' },
    })),
  ];
  return { resourceType: 'Bundle', id: randomUUID(), type: 'history', timestamp: new Date().toISOString(), entry };
}

export interface NotifyAnswer {
  status: number;
  outcome: OperationOutcome;
}

/** POSTs a notification (or any body) to `/subscriptions/{ehr}/notify`. */
/** `secret: null` sends no secret header at all. */
export async function notify(gatewayUrl: string, ehr: string, body: Bundle | string, secret: string | null = SUBSCRIPTION_SECRET): Promise<NotifyAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
  if (secret !== null) {
    headers['x-subscription-secret'] = secret;
  }
  const res = await fetch(`${gatewayUrl}/subscriptions/${ehr}/notify`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, outcome: (await res.json()) as OperationOutcome };
}

export function outcomeText(outcome: OperationOutcome): string {
  return (outcome.issue ?? []).map((i) => i.details?.text ?? '').join('; ');
}
