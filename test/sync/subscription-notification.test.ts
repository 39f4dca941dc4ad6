// Reading R4 backport notification Bundles: references on the EHR's base only, counters as
// strings or integers, focus and carried resource in agreement; each problem named.
import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { onEhr, parseNotification } from '../../src/sync/subscription-notification.ts';
import { notificationBundle } from './subscription-sender.ts';

const BASE = 'https://ehr.example/fhir/';

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      const first = error.outcome.issue?.[0];
      return `${error.outcome.id}: ${first?.details?.text} @ ${first?.expression?.join(',')}`;
    }
    throw error;
  }
  return 'accepted';
}

describe('onEhr', () => {
  it('accepts Type/id on the base (relative, absolute, versioned) and nothing else', () => {
    expect(onEhr('Task/1', BASE)).toEqual({ url: `${BASE}Task/1`, resourceType: 'Task', id: '1' });
    expect(onEhr(`${BASE}Task/a-b.c`, BASE)?.id).toBe('a-b.c');
    expect(onEhr(`${BASE}Task/1/_history/3`, BASE)?.url).toBe(`${BASE}Task/1`);
    const refused = [
      'https://other.example/fhir/Task/1',
      'https://ehr.example/fhirx/Task/1',
      'http://ehr.example/fhir/Task/1',
      '../other/Task/1',
      '//other.example/fhir/Task/1',
      `${BASE}Task`,
      `${BASE}Task/1/extra`,
      `${BASE}Task/1/_history`,
      `${BASE}task/1`,
      `${BASE}Task/${'x'.repeat(65)}`,
      'urn:uuid:0b5c6f4e-0000-4000-8000-000000000000',
    ];
    for (const reference of refused) {
      expect(onEhr(reference, BASE), reference).toBeUndefined();
    }
  });
});

describe('parseNotification', () => {
  const task = { resourceType: 'Task' as const, id: 't1', status: 'requested' as const, intent: 'order' as const };

  it('reads id-only and full-resource event notifications in event-number order', () => {
    const bundle = notificationBundle({ base: BASE, type: 'event-notification', eventsSinceStart: 8, events: [{ number: 8, task: { ...task, id: 't8' } }, { number: 7, task }], full: true });
    const parsed = parseNotification(bundle, BASE);
    expect(parsed.subscription).toBe(`${BASE}Subscription/referrals`);
    expect(parsed.eventsSinceStart).toBe(8);
    expect(parsed.events.map((e) => [e.number, e.focus?.id, e.resource?.id])).toEqual([
      [7, 't1', 't1'],
      [8, 't8', 't8'],
    ]);
    const idOnly = parseNotification(notificationBundle({ base: BASE, type: 'event-notification', eventsSinceStart: 1, events: [{ number: 1, task }] }), BASE);
    expect(idOnly.events[0].resource).toBeUndefined();
  });

  it('takes integer counters too', () => {
    const bundle = notificationBundle({ base: BASE, type: 'heartbeat', eventsSinceStart: 0 });
    const parameter = (bundle.entry?.[0]?.resource as unknown as { parameter: Record<string, unknown>[] }).parameter;
    const since = parameter.find((p) => p.name === 'events-since-subscription-start')!;
    delete since.valueString;
    since.valueInteger = 12;
    expect(parseNotification(bundle, BASE).eventsSinceStart).toBe(12);
  });

  it('names each problem', () => {
    const withEvent = () => notificationBundle({ base: BASE, type: 'event-notification', eventsSinceStart: 1, events: [{ number: 1, task }], full: true });
    const statusOf = (b: ReturnType<typeof withEvent>) => (b.entry?.[0]?.resource as unknown as { parameter: Record<string, unknown>[] }).parameter;

    const foreignSubscription = withEvent();
    (statusOf(foreignSubscription)[0].valueReference as { reference: string }).reference = 'https://other.example/fhir/Subscription/1';
    const badNumber = withEvent();
    ((statusOf(badNumber)[5].part as Record<string, unknown>[])[0]).valueString = '-1';
    const zero = withEvent();
    ((statusOf(zero)[5].part as Record<string, unknown>[])[0]).valueString = '0';
    const noNumber = withEvent();
    (statusOf(noNumber)[5].part as unknown[]).shift();
    const notTask = withEvent();
    ((statusOf(notTask)[5].part as Record<string, unknown>[])[2].valueReference as { reference: string }).reference = `${BASE}ServiceRequest/1`;
    const foreignEntry = withEvent();
    foreignEntry.entry![1].fullUrl = 'https://other.example/fhir/Task/t1';
    const heartbeatWithEvent = withEvent();
    statusOf(heartbeatWithEvent)[3].valueCode = 'heartbeat';

    const found = {
      foreignSubscription: problem(() => parseNotification(foreignSubscription, BASE)),
      badNumber: problem(() => parseNotification(badNumber, BASE)),
      zero: problem(() => parseNotification(zero, BASE)),
      noNumber: problem(() => parseNotification(noNumber, BASE)),
      notTask: problem(() => parseNotification(notTask, BASE)),
      foreignEntry: problem(() => parseNotification(foreignEntry, BASE)),
      heartbeatWithEvent: problem(() => parseNotification(heartbeatWithEvent, BASE)),
      array: problem(() => parseNotification([], BASE)),
    };
    console.log(JSON.stringify(found, null, 1));
    expect(found.foreignSubscription).toBe('unprocessable: The subscription reference is not a Subscription on this EHR @ Bundle.entry[0].resource.parameter[0].value');
    expect(found.badNumber).toBe('bad-request: An event count must be a whole number of 0 or more @ Bundle.entry[0].resource.parameter[5].part[0].value');
    expect(found.zero).toContain('An event-number must be 1 or more');
    expect(found.noNumber).toBe('bad-request: A notification-event has no event-number @ Bundle.entry[0].resource.parameter[5].part');
    expect(found.notTask).toBe('unprocessable: Only Task notifications are taken in @ Bundle.entry[0].resource.parameter[5].part[2].value');
    expect(found.foreignEntry).toBe('unprocessable: A notification entry comes from another server than this EHR @ Bundle.entry[1].fullUrl');
    expect(found.heartbeatWithEvent).toContain('A heartbeat notification carries no notification-event');
    expect(found.array).toContain('must be a Bundle');
    expect(JSON.stringify(found)).not.toContain('other.example');
  });
});
