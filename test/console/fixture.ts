// The operations console's test bed: the reference EHR seeded with the demo referrals, a
// gateway (SQLite or a fresh PostgreSQL schema) with that EHR configured (its poll schedule
// far away, so only "run sync now" polls) and an admin token, and the two demo partners.
// Helpers drive the referral through a partner and make a dead letter the way production
// does: the EHR refuses every call while the outbox delivers an update to it.
import { readFileSync } from 'node:fs';
import type { Bundle } from '@medplum/fhirtypes';
import { seedDemoPartners } from '../../src/demo.ts';
import type { DeadLetter } from '../../src/store/store.ts';
import { createSyncEngine } from '../../src/sync/sync-engine.ts';
import { startTestGateway, type StoreKind, type TestGateway } from '../support/gateway.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';

export const ADMIN_TOKEN = 'console-test-admin-token-7f3a9c2e1b5d4a68';
export const EHR_NAME = 'clinic-ehr';
export const FOOD_BANK = 'Organization/demo-food-bank';
export const HOUSING = 'Organization/demo-housing';
const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

/** What JSON.parse returns: the assertions read answers loosely, as the other HTTP suites do. */
export type JsonBody = ReturnType<typeof JSON.parse>;

export interface ConsoleFixture {
  ehr: ReferenceEhr;
  gw: TestGateway;
  keys: Map<string, string>;
  /** A call to the gateway with the admin token; the body is parsed JSON (or undefined). */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: JsonBody }>;
  /** A call as a partner (API key). */
  partner(id: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: JsonBody }>;
  close(): Promise<void>;
}

export async function startConsoleFixture(kind: StoreKind = 'sqlite'): Promise<ConsoleFixture> {
  const ehr = await startReferenceEhr();
  const seed = JSON.parse(readFileSync(new URL('../../examples/demo/referrals.json', import.meta.url), 'utf8')) as Bundle;
  const seeded = await fetch(ehr.baseUrl, { method: 'POST', headers: FHIR, body: JSON.stringify(seed), signal: AbortSignal.timeout(30_000) });
  if (!seeded.ok) throw new Error(`seeding the EHR failed with ${seeded.status}`);
  let gw: TestGateway;
  try {
    gw = await startTestGateway(kind, {
      logLevel: 'warn',
      ehrs: [{ name: EHR_NAME, baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [FOOD_BANK, HOUSING], pollSchedule: '0 0 1 1 *', timeoutMs: 5_000 }],
      // The reference EHR listens on loopback, which the outbound URL rule refuses unless allow-listed.
      security: { urlAllowList: ['127.0.0.1'], adminToken: ADMIN_TOKEN } as TestGateway['config']['security'],
    });
  } catch (error) {
    await ehr.close();
    throw error;
  }
  const keys = new Map((await seedDemoPartners(gw.store)).map((p) => [p.id, p.key]));
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(new URL(path, gw.base), {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    let parsed: JsonBody;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    ehr,
    gw,
    keys,
    admin: (method, path, body, headers = {}) => call(method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }),
    partner: (id, method, path, body) => call(method, path, body, { authorization: `Bearer ${keys.get(id) ?? ''}` }),
    close: async () => {
      await gw.close();
      await ehr.close();
    },
  };
}

/** Waits until `check` returns a value other than undefined (polling, not sleeping a fixed time). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The food bank's first inbox referral id (after a sync took the EHR's referrals in). */
export async function foodBankReferralId(f: ConsoleFixture): Promise<string> {
  return eventually('a referral in the food bank inbox', async () => {
    const inbox = await f.partner('food-bank', 'GET', 'partners/food-bank/referrals');
    return (inbox.body?.referrals?.[0]?.record?.referralId as string | undefined) ?? undefined;
  });
}

/** The food bank posts a case update (accept, start, complete...). */
export async function partnerUpdate(f: ConsoleFixture, referralId: string, action: string, extra: Record<string, unknown> = {}): Promise<void> {
  const result = await f.partner('food-bank', 'POST', 'partners/food-bank/updates', { referralId, clientId: 'C-1', action, updatedAt: new Date().toISOString(), ...extra });
  if (result.status !== 200 || result.body?.results?.[0]?.status !== 'applied') {
    throw new Error(`partner update ${action} was not applied: ${result.status} ${JSON.stringify(result.body?.results?.[0]?.status ?? '')}`);
  }
}

/**
 * One dead letter made by a failing EHR: the EHR answers 503 to everything, the food bank
 * accepts (the coordinator queues the update for the EHR), and an outbox worker allowed one
 * attempt per item buries it. The gateway's own worker may try first; either way the item
 * ends in the dead-letter list. The EHR stays failing until `heal` is called.
 */
export async function deadLetterFromFailingEhr(f: ConsoleFixture, referralId: string): Promise<{ letter: DeadLetter; heal: () => void }> {
  const before = new Set((await f.gw.store.listDeadLetters({ limit: 1000 })).map((d) => d.id));
  f.ehr.faults.add({ action: { kind: 'status', status: 503 } });
  await partnerUpdate(f, referralId, 'accept');
  const oneAttempt = createSyncEngine({
    store: f.gw.store,
    rest: f.gw.rest,
    settings: f.gw.settings,
    ehrs: f.gw.config.ehrs,
    maxAttempts: 1,
    backoff: { baseMs: 5, maxMs: 20 },
    clientOverrides: { maxAttempts: 1, backoffBaseMs: 5, backoffMaxMs: 20 },
  });
  const letter = await eventually('a dead letter', async () => {
    await oneAttempt.worker.drain({ maxRounds: 5 });
    return (await f.gw.store.listDeadLetters({ limit: 1000 })).find((d) => !before.has(d.id) && d.destination === `ehr:${EHR_NAME}`);
  }, 120_000);
  return { letter, heal: () => f.ehr.faults.clear() };
}
