// Reading an R4 backport notification Bundle (HL7 FHIR Subscriptions R5 Backport IG for R4,
// "Notifications"): a `history` Bundle whose first entry is a Parameters SubscriptionStatus
// (`subscription`, `type`, `events-since-subscription-start`, one `notification-event` per
// event with `event-number` and `focus`); full-resource notifications also carry the focus
// resources as entries. Pure: every problem is a 4xx OperationOutcome naming the place, and
// no supplied value (URLs, ids) is echoed in it.
import type { Bundle, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { badRequest, businessRule } from '../fhir/outcomes.ts';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification';

const TYPES: ReadonlySet<string> = new Set<NotificationType>(['handshake', 'heartbeat', 'event-notification']);
const STATUS = 'Bundle.entry[0].resource';
const TYPE_NAME = /^[A-Z][A-Za-z]{1,63}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** Event numbers are counters; beyond this they are not taken to be ones. */
const MAX_EVENT_NUMBER = Number.MAX_SAFE_INTEGER;

export interface NotificationFocus {
  /** Absolute URL on the EHR's base. */
  url: string;
  resourceType: string;
  id: string;
}

export interface NotificationEvent {
  number: number;
  focus?: NotificationFocus;
  /** The focus resource carried in the Bundle (full-resource payloads). */
  resource?: Resource;
}

export interface SubscriptionNotification {
  /** The Subscription's absolute URL on the EHR. */
  subscription: string;
  type: NotificationType;
  /** The number of events the EHR has raised on this subscription so far, when it says. */
  eventsSinceStart?: number;
  /** In event-number order. */
  events: NotificationEvent[];
}

/** Reads and checks a notification sent by the EHR whose FHIR base is `ehrBaseUrl`. */
export function parseNotification(body: unknown, ehrBaseUrl: string): SubscriptionNotification {
  const base = ehrBaseUrl.endsWith('/') ? ehrBaseUrl : `${ehrBaseUrl}/`;
  if (!isObject(body) || body.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(badRequest('A subscription notification must be a Bundle', 'Bundle'));
  }
  const bundle = body as unknown as Bundle;
  if (bundle.type !== 'history') {
    throw new OperationOutcomeError(badRequest('A subscription notification Bundle must have type history (R4 backport)', 'Bundle.type'));
  }
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const status = entries[0]?.resource as Parameters | undefined;
  if (!isObject(status) || status.resourceType !== 'Parameters' || !Array.isArray(status.parameter)) {
    throw new OperationOutcomeError(badRequest('The first entry of a notification must be a Parameters SubscriptionStatus', STATUS));
  }
  const parameters = status.parameter;
  const find = (name: string): { parameter: ParametersParameter; index: number } | undefined => {
    const index = parameters.findIndex((p) => isObject(p) && p.name === name);
    return index < 0 ? undefined : { parameter: parameters[index], index };
  };

  const subscriptionParam = find('subscription');
  const subscriptionRef = subscriptionParam?.parameter.valueReference?.reference;
  const subscriptionAt = subscriptionParam ? `${STATUS}.parameter[${subscriptionParam.index}].value` : `${STATUS}.parameter`;
  if (typeof subscriptionRef !== 'string') {
    throw new OperationOutcomeError(badRequest('The SubscriptionStatus has no subscription reference', subscriptionAt));
  }
  const subscription = onEhr(subscriptionRef, base);
  if (!subscription || subscription.resourceType !== 'Subscription') {
    throw new OperationOutcomeError(businessRule('The subscription reference is not a Subscription on this EHR', subscriptionAt));
  }

  const typeParam = find('type');
  const type = typeParam?.parameter.valueCode;
  const typeAt = typeParam ? `${STATUS}.parameter[${typeParam.index}].value` : `${STATUS}.parameter`;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new OperationOutcomeError(badRequest('The notification type must be handshake, heartbeat or event-notification', typeAt));
  }

  const sinceParam = find('events-since-subscription-start');
  let eventsSinceStart: number | undefined;
  if (sinceParam) {
    eventsSinceStart = counter(sinceParam.parameter, `${STATUS}.parameter[${sinceParam.index}].value`);
  }

  // Full-resource payloads: the focus resources, found by their fullUrl.
  const carried = new Map<string, Resource>();
  entries.slice(1).forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.fullUrl !== 'string' || !isObject(entry.resource)) {
      return;
    }
    const at = onEhr(entry.fullUrl, base);
    if (at) {
      carried.set(at.url, entry.resource as unknown as Resource);
    } else {
      throw new OperationOutcomeError(businessRule('A notification entry comes from another server than this EHR', `Bundle.entry[${i + 1}].fullUrl`));
    }
  });

  const events: NotificationEvent[] = [];
  parameters.forEach((parameter, index) => {
    if (!isObject(parameter) || parameter.name !== 'notification-event') {
      return;
    }
    const at = `${STATUS}.parameter[${index}]`;
    const parts = Array.isArray(parameter.part) ? parameter.part : [];
    const numberIndex = parts.findIndex((p) => isObject(p) && p.name === 'event-number');
    if (numberIndex < 0) {
      throw new OperationOutcomeError(badRequest('A notification-event has no event-number', `${at}.part`));
    }
    const number = counter(parts[numberIndex], `${at}.part[${numberIndex}].value`);
    if (number < 1) {
      throw new OperationOutcomeError(badRequest('An event-number must be 1 or more', `${at}.part[${numberIndex}].value`));
    }
    const event: NotificationEvent = { number };
    const focusIndex = parts.findIndex((p) => isObject(p) && p.name === 'focus');
    if (focusIndex >= 0) {
      const focusAt = `${at}.part[${focusIndex}].value`;
      const reference = parts[focusIndex].valueReference?.reference;
      if (typeof reference !== 'string') {
        throw new OperationOutcomeError(badRequest('A notification-event focus must be a reference', focusAt));
      }
      const focus = onEhr(reference, base);
      if (!focus) {
        throw new OperationOutcomeError(businessRule('A notification-event focus points outside this EHR; it is not read', focusAt));
      }
      if (focus.resourceType !== 'Task') {
        throw new OperationOutcomeError(businessRule('Only Task notifications are taken in', focusAt));
      }
      event.focus = focus;
      const resource = carried.get(focus.url);
      if (resource) {
        if (resource.resourceType !== focus.resourceType || resource.id !== focus.id) {
          throw new OperationOutcomeError(businessRule('The resource carried for a focus is not the one the focus names', focusAt));
        }
        event.resource = resource;
      }
    }
    events.push(event);
  });
  if (type !== 'event-notification' && events.length > 0) {
    throw new OperationOutcomeError(badRequest(`A ${type} notification carries no notification-event`, STATUS));
  }
  events.sort((a, b) => a.number - b.number);
  return { subscription: subscription.url, type: type as NotificationType, eventsSinceStart, events };
}

/** A reference resolved against the EHR's base; undefined unless it is `Type/id` on that base. */
export function onEhr(reference: string, base: string): NotificationFocus | undefined {
  let absolute: string;
  try {
    absolute = new URL(reference, base).href;
  } catch {
    return undefined;
  }
  if (!absolute.startsWith(base)) {
    return undefined;
  }
  const [resourceType, id, history, ...rest] = absolute.slice(base.length).split('/');
  if (!TYPE_NAME.test(resourceType ?? '') || !ID.test(id ?? '') || rest.length > 1 || (history !== undefined && (history !== '_history' || rest.length !== 1))) {
    return undefined;
  }
  return { url: `${base}${resourceType}/${id}`, resourceType, id };
}

/** An event count: valueString of digits in R4 (no integer64), or an integer. */
function counter(parameter: ParametersParameter, at: string): number {
  const raw: unknown = parameter.valueString ?? parameter.valueInteger ?? parameter.valueUnsignedInt ?? parameter.valuePositiveInt;
  const value = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_EVENT_NUMBER) {
    throw new OperationOutcomeError(badRequest('An event count must be a whole number of 0 or more', at));
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
