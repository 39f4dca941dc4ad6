// FHIR Subscriptions (R4 backport) over real HTTP (RELIABILITY.md scenario 17): the test plays
// the EHR's notification sender beside the reference EHR, and POSTs backport notification
// Bundles to a whole gateway. id-only and full-resource notifications bring referrals in; a
// dropped notification is caught up by the poll; a duplicate is applied once; a late one is
// read back from the EHR; forged notifications (wrong or missing secret, a focus on another
// host) are refused with nothing read or written.
import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EhrConfig } from '../../src/config/config.ts';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { channelName } from '../../src/sync/subscription-receiver.ts';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { OWNER, seedReferral } from './harness.ts';
import { SECRET_ENV, SUBSCRIPTION_SECRET, notificationBundle, notify, outcomeText } from './subscription-sender.ts';

const ID_ONLY = 'subs-id';
const FULL = 'subs-full';
/** Scheduled polls never fire during the test (1 January only): whatever comes in, came by notification or catch-up. */
const NEVER = '0 0 0 1 1 *';
export const LOOPBACK_ALLOWED = { urlAllowList: ['127.0.0.1'] } as TestGateway['config']['security'];

function subscribedEhr(name: string, baseUrl: string, payload: 'id-only' | 'full-resource'): EhrConfig {
  return {
    name,
    baseUrl,
    auth: { kind: 'none' },
    organizations: [OWNER],
    pollSchedule: NEVER,
    timeoutMs: 5_000,
    subscription: { secretEnv: SECRET_ENV, header: 'X-Subscription-Secret', heartbeatSeconds: 3_600, payload },
  };
}

async function versionsOf(gateway: TestGateway, ehrName: string, ehrId: string): Promise<number> {
  const history = await gateway.store.readHistory(gateway.settings.tenant, 'Task', localIdOf(ehrName, 'Task', ehrId), { count: 1000 });
  return history.length;
}

async function localTaskOf(gateway: TestGateway, ehrName: string, ehrId: string): Promise<Task | undefined> {
  return (await gateway.store.readResource<Task>(gateway.settings.tenant, 'Task', localIdOf(ehrName, 'Task', ehrId)))?.resource;
}

function taskReads(ehr: ReferenceEhr, id: string): number {
  return ehr.requests.filter((r) => r.method === 'GET' && r.path.split('?')[0] === `/fhir/Task/${id}`).length;
}

async function lastAuditSeq(gateway: TestGateway): Promise<number> {
  let seq = 0;
  for (;;) {
    const page = await gateway.store.readAudit({ afterSeq: seq, limit: 1000 });
    if (page.length === 0) {
      return seq;
    }
    seq = page[page.length - 1].seq;
  }
}

for (const kind of storeKinds()) {
  describe(`subscription notifications (${kind})`, () => {
    let ehr: ReferenceEhr;
    let elsewhere: ReferenceEhr;
    let gateway: TestGateway;

    beforeAll(async () => {
      process.env[SECRET_ENV] = SUBSCRIPTION_SECRET;
      ehr = await startReferenceEhr();
      elsewhere = await startReferenceEhr();
      gateway = await startTestGateway(kind, {
        ehrs: [subscribedEhr(ID_ONLY, ehr.baseUrl, 'id-only'), subscribedEhr(FULL, ehr.baseUrl, 'full-resource')],
        // The reference EHR listens on loopback, which the outbound URL rule refuses unless allow-listed.
        security: LOOPBACK_ALLOWED,
      });
      // The EHR's handshake on each new channel (a first contact also runs a catch-up poll).
      for (const name of [ID_ONLY, FULL]) {
        const answer = await notify(gateway.url, name, notificationBundle({ base: ehr.baseUrl, type: 'handshake', eventsSinceStart: 0 }));
        expect(answer.status).toBe(200);
      }
      await gateway.sync?.subscriptions?.settled();
    }, 60_000);
    afterAll(async () => {
      await gateway?.close();
      await ehr?.close();
      await elsewhere?.close();
    });

    it('takes a referral in from an id-only notification, reading the focus from the EHR', async () => {
      const task = await seedReferral(ehr, `${kind}-id-1`);
      const readsBefore = taskReads(ehr, task.id ?? '');
      const answer = await notify(gateway.url, ID_ONLY, notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 1, events: [{ number: 1, task }] }));
      console.log(`id-only: ${answer.status} "${outcomeText(answer.outcome)}"; Task reads on the EHR: ${taskReads(ehr, task.id ?? '') - readsBefore}`);
      expect(answer.status).toBe(200);
      expect(outcomeText(answer.outcome)).toContain('1 applied');
      expect(taskReads(ehr, task.id ?? '') - readsBefore).toBe(1);
      expect((await localTaskOf(gateway, ID_ONLY, task.id ?? ''))?.status).toBe('requested');
    });

    it('takes a referral in from a full-resource notification without reading the Task again', async () => {
      const task = await seedReferral(ehr, `${kind}-full-1`);
      const answer = await notify(gateway.url, FULL, notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 1, events: [{ number: 1, task }], full: true }));
      const local = await localTaskOf(gateway, FULL, task.id ?? '');
      console.log(`full-resource: ${answer.status} "${outcomeText(answer.outcome)}"; Task reads on the EHR: ${taskReads(ehr, task.id ?? '')}; local copy focus ${local?.focus?.reference?.split('/')[0]}`);
      expect(answer.status).toBe(200);
      expect(outcomeText(answer.outcome)).toContain('1 applied');
      expect(taskReads(ehr, task.id ?? '')).toBe(0);
      expect(local?.status).toBe('requested');
      expect(local?.focus?.reference).toMatch(/^ServiceRequest\/copy-/);
    });

    it('applies a duplicated notification once (versions counted)', async () => {
      const task = await seedReferral(ehr, `${kind}-dup-1`);
      const bundle = notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 2, events: [{ number: 2, task }] });
      const first = await notify(gateway.url, ID_ONLY, bundle);
      const afterFirst = await versionsOf(gateway, ID_ONLY, task.id ?? '');
      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(await notify(gateway.url, ID_ONLY, bundle));
      }
      const afterRepeats = await versionsOf(gateway, ID_ONLY, task.id ?? '');
      console.log(`duplicates: first "${outcomeText(first.outcome)}", 3 repeats -> "${outcomeText(answers[2].outcome)}"; versions after first ${afterFirst}, after repeats ${afterRepeats}`);
      expect(first.status).toBe(200);
      expect(afterFirst).toBeGreaterThan(0);
      expect(answers.every((a) => a.status === 200 && outcomeText(a.outcome).includes('1 duplicate event(s)'))).toBe(true);
      expect(afterRepeats).toBe(afterFirst);
    });

    it('applies the same notification sent five times at once only once', async () => {
      // A second subscription of the same EHR: its handshake (first contact) runs a catch-up poll first.
      await notify(gateway.url, FULL, notificationBundle({ base: ehr.baseUrl, type: 'handshake', eventsSinceStart: 1, subscriptionId: 'burst' }));
      await gateway.sync?.subscriptions?.settled();
      const task = await seedReferral(ehr, `${kind}-burst-1`);
      const bundle = notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 2, events: [{ number: 2, task }], subscriptionId: 'burst' });
      const answers = await Promise.all(Array.from({ length: 5 }, () => notify(gateway.url, FULL, bundle)));
      const versions = await versionsOf(gateway, FULL, task.id ?? '');
      const applied = answers.filter((a) => outcomeText(a.outcome).includes(' 1 applied')).length;
      console.log(`burst of 5 identical notifications: statuses ${answers.map((a) => a.status).join(',')}; applied ${applied}; versions ${versions}`);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(applied).toBe(1);
      expect(versions).toBe(1);
    });

    it('catches up a dropped notification with the poll, and handles the late one when it comes', async () => {
      const dropped = await seedReferral(ehr, `${kind}-gap-3`);
      const next = await seedReferral(ehr, `${kind}-gap-4`);
      // Event 3 never arrives; event 4 does.
      const answer = await notify(gateway.url, ID_ONLY, notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 4, events: [{ number: 4, task: next }] }));
      expect(answer.status).toBe(200);
      expect(outcomeText(answer.outcome)).toContain('1 missing');
      await gateway.sync?.subscriptions?.settled();
      const caughtUp = await localTaskOf(gateway, ID_ONLY, dropped.id ?? '');
      const channel = await gateway.store.getSubscriptionChannel(channelName(ID_ONLY, `${ehr.baseUrl}Subscription/referrals`));
      console.log(`gap: "${outcomeText(answer.outcome)}"; dropped referral taken in by the catch-up poll: ${caughtUp !== undefined}; channel covered ${channel?.covered} of ${channel?.highest}`);
      expect(caughtUp?.status).toBe('requested');
      expect(await localTaskOf(gateway, ID_ONLY, next.id ?? '')).toBeDefined();
      expect(channel?.covered).toBe(4);

      // The dropped notification turns up after all: read back from the EHR, nothing new applied.
      const versions = await versionsOf(gateway, ID_ONLY, dropped.id ?? '');
      const readsBefore = taskReads(ehr, dropped.id ?? '');
      const late = await notify(gateway.url, ID_ONLY, notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 4, events: [{ number: 3, task: dropped }], full: true }));
      console.log(`late event 3: "${outcomeText(late.outcome)}"; versions ${versions} -> ${await versionsOf(gateway, ID_ONLY, dropped.id ?? '')}`);
      expect(late.status).toBe(200);
      expect(outcomeText(late.outcome)).toContain('0 applied');
      expect(taskReads(ehr, dropped.id ?? '') - readsBefore).toBe(1);
      expect(await versionsOf(gateway, ID_ONLY, dropped.id ?? '')).toBe(versions);
    });

    it('finds a gap from a heartbeat that tells of events never received', async () => {
      const missed = await seedReferral(ehr, `${kind}-beat-5`);
      const answer = await notify(gateway.url, ID_ONLY, notificationBundle({ base: ehr.baseUrl, type: 'heartbeat', eventsSinceStart: 5 }));
      await gateway.sync?.subscriptions?.settled();
      const local = await localTaskOf(gateway, ID_ONLY, missed.id ?? '');
      console.log(`heartbeat gap: "${outcomeText(answer.outcome)}"; missed referral taken in: ${local !== undefined}`);
      expect(outcomeText(answer.outcome)).toContain('1 missing');
      expect(local).toBeDefined();
    });

    it('refuses forged notifications (wrong or missing secret, unknown EHR, body not even read) with a bare 401; nothing read or written', async () => {
      const task = await seedReferral(ehr, `${kind}-forged-1`);
      await gateway.sync?.subscriptions?.settled();
      const bundle = notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 9, events: [{ number: 9, task }], full: true });
      const requestsBefore = ehr.requests.length;
      const auditBefore = await lastAuditSeq(gateway);
      const channelBefore = await gateway.store.getSubscriptionChannel(channelName(ID_ONLY, `${ehr.baseUrl}Subscription/referrals`));
      const answers = [
        await notify(gateway.url, ID_ONLY, bundle, 'not-the-secret-but-just-as-long!!!'),
        await notify(gateway.url, ID_ONLY, bundle, null),
        await notify(gateway.url, ID_ONLY, bundle, ''),
        await notify(gateway.url, 'no-such-ehr', bundle),
        await notify(gateway.url, ID_ONLY, '{"resourceType": "Bundle", trailing garbage', 'wrong'),
        await notify(gateway.url, FULL, bundle, `${SUBSCRIPTION_SECRET}x`),
      ];
      const statuses = answers.map((a) => a.status);
      const texts = new Set(answers.map((a) => outcomeText(a.outcome)));
      const channelAfter = await gateway.store.getSubscriptionChannel(channelName(ID_ONLY, `${ehr.baseUrl}Subscription/referrals`));
      console.log(`forged: statuses ${statuses.join(',')}; texts ${[...texts].join('|')}; EHR requests ${ehr.requests.length - requestsBefore}; audit records ${(await lastAuditSeq(gateway)) - auditBefore}; channel highest ${channelBefore?.highest} -> ${channelAfter?.highest}`);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
      expect([...texts]).toEqual(['Unauthorized']);
      expect(ehr.requests.length).toBe(requestsBefore);
      expect(await lastAuditSeq(gateway)).toBe(auditBefore);
      expect(channelAfter).toEqual(channelBefore);
      expect(await localTaskOf(gateway, ID_ONLY, task.id ?? '')).toBeUndefined();
      expect(await localTaskOf(gateway, FULL, task.id ?? '')).toBeUndefined();
      // Counted in the request metrics (no identifiers in labels), not audited.
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      const refused = metrics.split('\n').filter((line) => line.startsWith('gateway_http_requests_total') && line.includes('status="401"') && line.includes('subscriptions'));
      console.log(`forged: request metrics ${refused.join(' ; ')}`);
      expect(refused.length).toBeGreaterThan(0);
    });

    it('refuses a focus on another host before reading anything (no request, so no token, goes there)', async () => {
      const task = await seedReferral(ehr, `${kind}-foreign-1`);
      await gateway.sync?.subscriptions?.settled();
      const requestsBefore = ehr.requests.length;
      const idOnly = await notify(gateway.url, ID_ONLY, notificationBundle({ base: ehr.baseUrl, focusBase: elsewhere.baseUrl, type: 'event-notification', eventsSinceStart: 10, events: [{ number: 10, task }] }));
      const full = await notify(gateway.url, FULL, notificationBundle({ base: ehr.baseUrl, focusBase: elsewhere.baseUrl, type: 'event-notification', eventsSinceStart: 10, events: [{ number: 10, task }], full: true }));
      // Carried resource that is not the one the focus names.
      const swapped = notificationBundle({ base: ehr.baseUrl, type: 'event-notification', eventsSinceStart: 11, events: [{ number: 11, task }], full: true });
      const carried = swapped.entry?.[1]?.resource as Task;
      swapped.entry![1].resource = { ...carried, id: 'someone-else' };
      const mismatch = await notify(gateway.url, FULL, swapped);
      console.log(`foreign focus: id-only ${idOnly.status} "${outcomeText(idOnly.outcome)}", full ${full.status}; mismatched carried resource ${mismatch.status} "${outcomeText(mismatch.outcome)}"; requests to the other host ${elsewhere.requests.length}, to the EHR ${ehr.requests.length - requestsBefore}`);
      expect(idOnly.status).toBe(422);
      expect(full.status).toBe(422);
      expect(mismatch.status).toBe(422);
      expect(outcomeText(idOnly.outcome)).toContain('outside this EHR');
      expect(outcomeText(idOnly.outcome)).not.toContain(elsewhere.origin);
      expect(elsewhere.requests.length).toBe(0);
      expect(ehr.requests.length).toBe(requestsBefore);
      expect(await localTaskOf(gateway, ID_ONLY, task.id ?? '')).toBeUndefined();
      expect(await localTaskOf(gateway, FULL, task.id ?? '')).toBeUndefined();
    });

    it('logs no secret and no referral identifiers', async () => {
      await gateway.sync?.subscriptions?.settled();
      const logs = gateway.logLines.join('\n');
      const notificationLines = gateway.logLines.filter((line) => line.includes('subscription'));
      console.log(`logs: ${gateway.logLines.length} lines, ${notificationLines.length} about subscriptions, e.g. ${notificationLines.find((l) => l.includes('"subscription notification"'))}`);
      expect(notificationLines.length).toBeGreaterThan(0);
      expect(logs).not.toContain(SUBSCRIPTION_SECRET);
      expect(logs).not.toContain(`ref-${kind}-`);
      expect(logs).not.toContain(`mrn-${kind}-`);
    });

    it('answers malformed notifications (with the right secret) with a 4xx naming the problem', async () => {
      const base = notificationBundle({ base: ehr.baseUrl, type: 'heartbeat', eventsSinceStart: 0 });
      const cases: [string, unknown, number, string][] = [
        ['not a Bundle', { resourceType: 'Parameters' }, 400, 'must be a Bundle'],
        ['wrong Bundle type', { ...base, type: 'collection' }, 400, 'type history'],
        ['no status', { ...base, entry: [] }, 400, 'Parameters SubscriptionStatus'],
        ['bad type', notificationBundle({ base: ehr.baseUrl, type: 'heartbeat' as const, eventsSinceStart: 0 }), 0, ''],
      ];
      const badType = cases[3][1] as ReturnType<typeof notificationBundle>;
      const parameters = (badType.entry?.[0]?.resource as { parameter: { name: string; valueCode?: string }[] }).parameter;
      parameters.find((p) => p.name === 'type')!.valueCode = 'query-event';
      cases[3][2] = 400;
      cases[3][3] = 'handshake, heartbeat or event-notification';
      for (const [name, body, status, text] of cases) {
        const answer = await notify(gateway.url, ID_ONLY, JSON.stringify(body));
        console.log(`malformed (${name}): ${answer.status} "${outcomeText(answer.outcome)}"`);
        expect(answer.status).toBe(status);
        expect(outcomeText(answer.outcome)).toContain(text);
      }
    });
  });
}
