// Heartbeat timeout (R4 backport heartbeats reveal a dead channel): while notifications arrive,
// the EHR's scheduled polls (here every second) are skipped; when nothing arrives within
// heartbeatSeconds, the gateway says so in a log line and a metric, polls at once and resumes
// its schedule; the next heartbeat pauses the polls again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { OWNER, seedReferral } from './harness.ts';
import { SECRET_ENV, SUBSCRIPTION_SECRET, notificationBundle, notify } from './subscription-sender.ts';

const NAME = 'beating';
const HEARTBEAT_SECONDS = 2;

async function taken(gateway: TestGateway, ehrId: string): Promise<boolean> {
  return (await gateway.store.readResource(gateway.settings.tenant, 'Task', localIdOf(NAME, 'Task', ehrId))) !== undefined;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

async function channelGauge(gateway: TestGateway): Promise<string | undefined> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return text.split('\n').find((line) => line.startsWith(`gateway_subscription_channel_up{ehr="${NAME}"}`))?.split(' ')[1];
}

function pollRequests(ehr: ReferenceEhr): number {
  return ehr.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/fhir/Task?')).length;
}

for (const kind of storeKinds()) {
  describe(`subscription heartbeat timeout (${kind})`, () => {
    let ehr: ReferenceEhr;
    let gateway: TestGateway;

    beforeAll(async () => {
      process.env[SECRET_ENV] = SUBSCRIPTION_SECRET;
      ehr = await startReferenceEhr();
      gateway = await startTestGateway(kind, {
        ehrs: [
          {
            name: NAME,
            baseUrl: ehr.baseUrl,
            auth: { kind: 'none' },
            organizations: [OWNER],
            pollSchedule: '* * * * * *',
            timeoutMs: 5_000,
            subscription: { secretEnv: SECRET_ENV, header: 'X-Subscription-Secret', heartbeatSeconds: HEARTBEAT_SECONDS, payload: 'id-only' },
          },
        ],
        security: { urlAllowList: ['127.0.0.1'] } as TestGateway['config']['security'],
      });
    }, 60_000);
    afterAll(async () => {
      await gateway?.close();
      await ehr?.close();
    });

    it('pauses polls while heartbeats arrive, and falls back to polling when they stop', async () => {
      const handshake = await notify(gateway.url, NAME, notificationBundle({ base: ehr.baseUrl, type: 'handshake', eventsSinceStart: 0 }));
      expect(handshake.status).toBe(200);
      const liveAt = Date.now();
      await gateway.sync?.subscriptions?.settled();
      const gaugeLive = await channelGauge(gateway);

      // A referral the EHR never notifies: while the channel is live, no poll takes it in.
      const unnotified = await seedReferral(ehr, `${kind}-unnotified`);
      const pollsBefore = pollRequests(ehr);
      await new Promise((r) => setTimeout(r, 1_200));
      const inWhileLive = await taken(gateway, unnotified.id ?? '');
      const pollsWhileLive = pollRequests(ehr) - pollsBefore;

      // No heartbeat within 2 s: polling takes over.
      const found = await waitFor(() => taken(gateway, unnotified.id ?? ''), 15_000);
      const fallbackMs = Date.now() - liveAt;
      const logLine = gateway.logLines.find((line) => line.includes('subscription channel silent: polling resumes'));
      const gaugeSilent = await channelGauge(gateway);

      // The schedule keeps polling: a second unnotified referral comes in on its own.
      const later = await seedReferral(ehr, `${kind}-later`);
      const laterFound = await waitFor(() => taken(gateway, later.id ?? ''), 10_000);

      // A heartbeat brings the channel back and pauses the polls again.
      const beat = await notify(gateway.url, NAME, notificationBundle({ base: ehr.baseUrl, type: 'heartbeat', eventsSinceStart: 0 }));
      const gaugeBack = await channelGauge(gateway);
      console.log(
        `heartbeat: gauge live ${gaugeLive}; polls while live ${pollsWhileLive}, referral taken in while live ${inWhileLive}; ` +
          `taken in by polling ${found} after ${fallbackMs} ms (heartbeat ${HEARTBEAT_SECONDS} s); gauge ${gaugeSilent}; ` +
          `scheduled poll took in the next one ${laterFound}; heartbeat ${beat.status} -> gauge ${gaugeBack}; log: ${logLine}`,
      );
      expect(gaugeLive).toBe('1');
      expect(inWhileLive).toBe(false);
      expect(pollsWhileLive).toBe(0);
      expect(found).toBe(true);
      expect(fallbackMs).toBeGreaterThanOrEqual(HEARTBEAT_SECONDS * 1000);
      expect(logLine).toBeDefined();
      expect(logLine).not.toContain(unnotified.id ?? 'none');
      expect(gaugeSilent).toBe('0');
      expect(laterFound).toBe(true);
      expect(beat.status).toBe(200);
      expect(gaugeBack).toBe('1');
    }, 60_000);
  });
}
