// The sync engine (polling and outbox delivery) against a reference EHR that requires SMART
// Backend Services tokens from the local token server, over real HTTP (RELIABILITY.md
// scenarios 9 and 10 at sync level): hostile answers during a poll and during delivery (a
// 50 MB body, a redirect to another host, a next link to another host) leave the cursor
// where it was and never send the token anywhere but the EHR, which a second HTTP server
// recording Authorization headers proves; tokens that live 2 s are renewed during a long
// run with zero failed cycles; a refused assertion stops at the token endpoint.
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EhrConfig } from '../../src/config/config.ts';
import { cursorName } from '../../src/sync/poller.ts';
import type { SyncEngine } from '../../src/sync/sync-engine.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startSmartAuthServer, type SmartAuthServer } from '../support/smart-auth-server.ts';
import { EHR_NAME, OWNER, localTask, progressLocally, readEhrTask, seedReferral, startHarness, type Harness } from './harness.ts';

const CLIENT_ID = 'sync-it';
const KID = 'sync-it-1';
const KEY_ENV = 'SYNC_TEST_EHR_PRIVATE_KEY';
const STRANGER_KEY_ENV = 'SYNC_TEST_STRANGER_KEY';
/** The test's own token for seeding and reading the EHR (the sync engine gets its tokens from the token server). */
const SEED_TOKEN = 'seed-token-for-the-test';
const AS_TEST = { authorization: `Bearer ${SEED_TOKEN}` };

interface Recorder {
  origin: string;
  /** Every request that reached this foreign host, and whether it carried a bearer token. */
  seen: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

/** A foreign host that records the Authorization header of whatever reaches it. */
async function startRecorder(): Promise<Recorder> {
  const seen: Recorder['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end('{"resourceType":"Bundle","type":"searchset","entry":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // `localhost` with another port: another origin than the EHR's 127.0.0.1.
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let auth: SmartAuthServer;
let shortAuth: SmartAuthServer;
let h: Harness;
let recorder: Recorder;
let publicJwk: Awaited<ReturnType<typeof exportJWK>>;

function smartEhr(server: SmartAuthServer, keyEnv = KEY_ENV): EhrConfig {
  return {
    name: EHR_NAME,
    baseUrl: h.ehr.baseUrl,
    auth: { kind: 'smart-backend', tokenUrl: server.tokenUrl, clientId: CLIENT_ID, keyId: KID, alg: 'ES384', privateKeyEnv: keyEnv, scope: 'system/*.read system/*.write' },
    organizations: [OWNER],
    pollSchedule: '*/15 * * * *',
    timeoutMs: 2_000,
  };
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES384', { extractable: true });
  process.env[KEY_ENV] = await exportPKCS8(pair.privateKey);
  process.env[STRANGER_KEY_ENV] = await exportPKCS8((await generateKeyPair('ES384', { extractable: true })).privateKey);
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES384' };
  const clients = [{ clientId: CLIENT_ID, jwks: { keys: [publicJwk] }, scopes: ['system/*.read', 'system/*.write'] }];
  auth = await startSmartAuthServer({ clients });
  shortAuth = await startSmartAuthServer({ clients, tokenLifetimeSeconds: 2 });
  // The EHR accepts tokens of either token server.
  h = await startHarness({ ehr: { auth: { verify: async (token) => token === SEED_TOKEN || (await auth.verifyAccessToken(token)) || (await shortAuth.verifyAccessToken(token)) } } });
  recorder = await startRecorder();
});
afterAll(async () => {
  await h?.close();
  await Promise.all([auth?.close(), shortAuth?.close(), recorder?.close()]);
  delete process.env[KEY_ENV];
  delete process.env[STRANGER_KEY_ENV];
});
afterEach(() => {
  h.ehr.faults.clear();
});

function engine(server = auth, keyEnv = KEY_ENV): SyncEngine {
  return h.newEngine({ ehrs: [smartEhr(server, keyEnv)], pageSize: 2, clientOverrides: { maxAttempts: 2, backoffBaseMs: 5, backoffMaxMs: 20, maxResponseBytes: 1024 * 1024 } });
}

describe('hostile EHR answers during sync', () => {
  it('huge body, off-origin redirect and foreign next link during polls and delivery: cursor kept, nothing missed, 0 tokens off the EHR', async () => {
    const sync = engine();
    const name = cursorName(EHR_NAME, OWNER);
    const tasks = [await seedReferral(h.ehr, 'hostile-0', AS_TEST)];
    await sync.runOnce();
    const start = await h.gateway.store.getCursor(name);
    for (let i = 1; i < 5; i++) {
      tasks.push(await seedReferral(h.ehr, `hostile-${i}`, AS_TEST));
    }
    const outcomes: string[] = [];
    const attempt = async (label: string, fault: Parameters<typeof h.ehr.faults.add>[0]): Promise<void> => {
      const handle = h.ehr.faults.add(fault);
      const result = await sync.runOnce().then(
        () => 'completed',
        (error: unknown) => `failed: ${(error as Error).message}`,
      );
      outcomes.push(`${label} (${handle.applied}x): ${result}`);
      h.ehr.faults.clear();
    };
    // The owner-side search of the poll: the first page.
    await attempt('50 MB body', { method: 'GET', path: /\/Task\?owner=/, action: { kind: 'huge-body', bytes: 50 * 1024 * 1024 } });
    await attempt('redirect to another host', { method: 'GET', path: /\/Task\?owner=/, action: { kind: 'redirect', status: 307, location: `${recorder.origin}/fhir/Task` } });
    const cursorAfterFailures = await h.gateway.store.getCursor(name);
    // A next link to another host: the first page is applied, the rest refused.
    await attempt('next link to another host', { method: 'GET', path: /\/Task\?owner=/, times: 1, action: { kind: 'foreign-next', origin: recorder.origin } });

    // Delivery: the deliverer's read of the EHR Task is redirected off-origin; the item is retried, never sent there.
    await progressLocally(h.gateway, tasks[0].id ?? '', 'accepted', false);
    await attempt('redirect during delivery', { method: 'GET', path: new RegExp(`/Task/${tasks[0].id}$`), action: { kind: 'redirect', status: 302, location: `${recorder.origin}/fhir/Task/${tasks[0].id}` } });
    const retried = await h.gateway.store.countOutbox('pending');

    // The EHR behaves again: everything comes in once, the update is delivered once.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const clean = await sync.runOnce();
    const missing = (await Promise.all(tasks.map((t) => localTask(h.gateway, t.id ?? '')))).filter((t) => !t).length;
    const tokensOffOrigin = recorder.seen.filter((r) => r.authorization !== undefined).length;
    const ehrWithToken = h.ehr.requests.filter((r) => r.authorization).length;
    console.log(
      `hostile answers during sync: ${outcomes.join('; ')}; cursor unchanged by failed polls: ${cursorAfterFailures === start}; ` +
        `update pending after the redirect: ${retried}; clean run: ${clean.ehrs[0].poll.applied} taken in, ${clean.outbox.delivered} delivered; ` +
        `missing ${missing}; requests reaching the foreign host ${recorder.seen.length}, with a token ${tokensOffOrigin}; EHR requests with a token ${ehrWithToken}`,
    );
    expect(outcomes[0]).toMatch(/failed: .*larger than 1048576 bytes/);
    expect(outcomes[1]).toMatch(/failed: .*redirect not followed/);
    expect(outcomes[2]).toMatch(/failed: .*paging link outside the EHR base URL refused/);
    expect(cursorAfterFailures).toBe(start);
    expect(retried).toBe(1);
    expect(clean.outbox.delivered).toBe(1);
    expect((await readEhrTask(h.ehr, tasks[0].id ?? '', AS_TEST)).status).toBe('accepted');
    expect(missing).toBe(0);
    expect(ehrWithToken).toBeGreaterThan(0);
    expect(recorder.seen).toHaveLength(0);
    expect(tokensOffOrigin).toBe(0);
    // The recorder does record what reaches it, so the zeros above can fail.
    await fetch(`${recorder.origin}/probe`, { headers: { authorization: 'Bearer probe' } });
    expect(recorder.seen.filter((r) => r.authorization === 'Bearer probe')).toHaveLength(1);
    recorder.seen.length = 0;
  });
});

describe('SMART tokens during a long sync run', () => {
  it('2 s tokens renewed before expiry over many cycles: 0 failed cycles, 0 EHR 401s', async () => {
    const sync = engine(shortAuth);
    const issuedBefore = shortAuth.events.filter((e) => e.result === 'issued').length;
    const unauthorizedBefore = h.ehr.requests.filter((r) => r.status === 401).length;
    let cycles = 0;
    let failed = 0;
    let n = 0;
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      const task = await seedReferral(h.ehr, `renewal-${n++}`, AS_TEST);
      try {
        await sync.runOnce();
        await progressLocally(h.gateway, task.id ?? '', 'accepted', false);
        await sync.runOnce();
      } catch {
        failed++;
      }
      cycles++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const issued = shortAuth.events.filter((e) => e.result === 'issued').length - issuedBefore;
    const unauthorized = h.ehr.requests.filter((r) => r.status === 401).length - unauthorizedBefore;
    const notDelivered = await h.gateway.store.countOutbox('pending');
    console.log(`token renewal: ${cycles} sync cycles over 5 s with 2 s tokens, ${issued} tokens issued, ${failed} failed cycles, ${unauthorized} EHR 401s, ${notDelivered} updates pending`);
    expect(failed).toBe(0);
    expect(unauthorized).toBe(0);
    expect(issued).toBeGreaterThanOrEqual(3);
    expect(notDelivered).toBe(0);
  });

  it('a refused assertion (a key the token server does not know) stops at the token endpoint: nothing reaches the EHR, no key in the error', async () => {
    const before = h.ehr.requests.length;
    const sync = engine(auth, STRANGER_KEY_ENV);
    const message = await sync.runOnce().then(
      () => 'completed',
      (error: unknown) => (error as Error).message,
    );
    const last = auth.events.at(-1);
    console.log(`refused assertion: sync ${message}; token server: ${last?.result} (${last?.reason}); EHR requests ${h.ehr.requests.length - before}`);
    expect(message).toMatch(/EHR token failed: HTTP 401/);
    expect(last?.reason).toBe('signature or claims invalid');
    expect(h.ehr.requests.length - before).toBe(0);
    expect(message).not.toContain('PRIVATE');
  });
});
