// Issue 6: partner webhooks delivered by the gateway's own running outbox worker (nothing
// here calls a deliverer). A real receiver on loopback (allow-listed) verifies the HMAC
// signature, the timestamp and the delivery id of every notification. A referral offered to
// the partner is notified; while the receiver answers 500 a change is retried with backoff
// until the configured attempts are spent, then it is a dead letter; the admin replays it and
// it is delivered with the same delivery id. A referral the partner originated notifies it
// when its target answers. Every count is exact.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { AuditEvent, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEAD_LETTER_SYSTEM } from '../../src/sync/dead-letter-replay.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { REFERRAL_1, addPartner, caller, postReferral } from './support.ts';

const ADMIN = `admin-${randomBytes(24).toString('hex')}`;
const SECRET = `whsec-${randomBytes(16).toString('hex')}`;
const MAX_ATTEMPTS = 3;

interface Delivery {
  deliveryId: string;
  event: string;
  referral: { referralId: string; status: string };
  answered: number;
  verified: boolean;
}

describe('partner webhooks through the running outbox worker', () => {
  let gw: TestGateway;
  let call: ReturnType<typeof caller>;
  let keys: Record<string, string>;
  let answer = 204;
  const deliveries: Delivery[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-gateway-timestamp'] ?? '');
      const signature = String(req.headers['x-gateway-signature'] ?? '');
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
      const parsed = JSON.parse(body) as Omit<Delivery, 'answered' | 'verified'>;
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const signed = signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
      const sameId = req.headers['x-gateway-delivery'] === parsed.deliveryId && typeof parsed.deliveryId === 'string' && parsed.deliveryId.length > 0;
      const verified = signed && fresh && sameId;
      const status = verified ? answer : 401;
      deliveries.push({ ...parsed, answered: status, verified });
      res.statusCode = status;
      res.end();
    });
  });

  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 40_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, gw.base), {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const deadLetters = async () => ((await admin('GET', 'admin/dead-letters')).json.deadLetters as { id: string; destination: string; attempts: number; reason: string; error: string }[]).filter((d) => d.destination === 'webhook:food-bank');

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/referrals`;
    // The gateway's own schedules and outbox worker run; short backoff, few attempts.
    gw = await startTestGateway('sqlite', {
      outbox: { maxAttempts: MAX_ATTEMPTS, backoffBaseMs: 20, backoffMaxMs: 40, batchSize: 32, claimLeaseMs: 60_000 },
      security: { allowAnonymous: true, adminToken: ADMIN, urlAllowList: ['127.0.0.1'] } as never,
    });
    expect(gw.sync).toBeDefined();
    call = caller(gw);
    keys = {
      'food-bank': `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}`,
      housing: `Bearer ${await addPartner(gw, 'housing', 'Organization/demo-housing')}`,
    };
    // The webhook is registered through the admin API, which checks the URL allow-list.
    const put = await admin('PUT', 'admin/partners/food-bank', { name: 'Eastside Food Bank', organization: 'Organization/demo-food-bank', mapping: 'referral', webhookUrl: url, settings: { webhookSecret: SECRET } });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
    receiver.close();
  });

  test('offered -> notified once; failing receiver -> retried, dead letter after the attempts; replay -> delivered with the same id', async () => {
    expect(await postReferral(gw, REFERRAL_1)).toBe(200);
    await until('the referral-offered notification', () => deliveries.length >= 1);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ event: 'referral-offered', answered: 204, verified: true });
    expect(deliveries[0].referral.status).toBe('new');
    const referralId = deliveries[0].referral.referralId;

    // The receiver fails; the clinic withdraws the referral, which cancels the food bank's Task.
    answer = 500;
    const source = (await call('GET', 'Task/demo-task-1')).body as Task;
    const cancelled = await call('PUT', 'Task/demo-task-1', { ...source, status: 'cancelled', statusReason: { text: 'Client moved away' } });
    expect(cancelled.status, JSON.stringify(cancelled.body).slice(0, 500)).toBe(200);
    await until('the dead letter', async () => (await deadLetters()).length === 1);
    const failed = deliveries.slice(1);
    expect(failed).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(failed.map((d) => d.deliveryId)).size).toBe(1);
    expect(failed.every((d) => d.event === 'referral-cancelled' && d.answered === 500 && d.verified && d.referral.referralId === referralId)).toBe(true);
    const [letter] = await deadLetters();
    expect(letter.attempts).toBe(MAX_ATTEMPTS);
    expect(letter.reason).toBe('referral-cancelled');
    expect(letter.error).toMatch(/HTTP 500/);

    // Nothing more arrives on its own.
    await new Promise((r) => setTimeout(r, 500));
    expect(deliveries).toHaveLength(1 + MAX_ATTEMPTS);

    // The receiver is back; the admin replays the dead letter.
    answer = 204;
    const replay = await admin('POST', `admin/dead-letters/${letter.id}/replay`);
    expect(replay.status).toBe(202);
    // The replay is in the audit trail, naming the dead letter and the outbox item it became.
    const replayBody = replay.json as { outboxId: string; auditEvent: string };
    const events = (await gw.store.readAudit({ limit: 100_000 })).map((r) => r.event as AuditEvent);
    const replayEvent = events.find((e) => `AuditEvent/${e.id}` === replayBody.auditEvent);
    expect(
      replayEvent?.entity?.some((e) => e.what?.identifier?.system === DEAD_LETTER_SYSTEM && e.what?.identifier?.value === letter.id && e.description?.includes(replayBody.outboxId)),
    ).toBe(true);
    await until('the replayed delivery', () => deliveries.length === 2 + MAX_ATTEMPTS);
    const replayed = deliveries[1 + MAX_ATTEMPTS];
    expect(replayed).toMatchObject({ deliveryId: failed[0].deliveryId, event: 'referral-cancelled', answered: 204, verified: true });
    expect(replayed.referral.status).toBe('cancelled');
    expect(await deadLetters()).toHaveLength(0);
    expect(deliveries.filter((d) => !d.verified)).toHaveLength(0);
    console.log(`webhook requests: 1 offered (204), ${MAX_ATTEMPTS} attempts answered 500 -> 1 dead letter, 1 replay (204); ${deliveries.length} received, all signatures verified`);
  }, 120_000);

  test('a referral the food bank originated: it is notified when the target accepts', async () => {
    const before = deliveries.length;
    const record = JSON.parse(readFileSync(new URL('../../mappings/referral/tests/originated-by-organization.partner.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const posted = await call('POST', 'partners/food-bank/referrals', { ...record, assignedTo: { id: 'demo-housing', name: 'Harbor Housing Services' } }, { authorization: keys['food-bank'], 'content-type': 'application/json' });
    expect(posted.status, JSON.stringify(posted.body).slice(0, 600)).toBe(201);
    const inbox = await call('GET', 'partners/housing/referrals', undefined, { authorization: keys.housing });
    const offered = inbox.body.referrals[0].record as { referralId: string };
    const accepted = await call('POST', 'partners/housing/updates', { referralId: offered.referralId, clientId: 'C-7', action: 'accept', updatedAt: new Date().toISOString() }, { authorization: keys.housing, 'content-type': 'application/json' });
    expect(accepted.body.results[0]).toMatchObject({ status: 'applied', taskStatus: 'accepted' });
    await until('the status notification', () => deliveries.length === before + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(deliveries.slice(before)).toHaveLength(1);
    expect(deliveries[before]).toMatchObject({ event: 'referral-status-changed', answered: 204, verified: true, referral: { referralId: 'FB-2026-0007', status: 'accepted' } });
  }, 60_000);
});
