// Webhooks to partners: a referral offered to a partner with a webhook URL queues an outbox
// item; delivering it POSTs the referral in the partner's format, HMAC-signed, with timestamp
// and delivery id headers; a failing endpoint makes the delivery throw, so the outbox retries.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deliverWebhook, signWebhook } from '../../src/coordination/webhooks.ts';
import { createMappingEngine, loadMappings } from '../../src/mapping/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { REFERRAL_1, addPartner, postReferral } from './support.ts';

describe('partner webhooks', () => {
  let gw: TestGateway;
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failNext = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = failNext-- > 0 ? 503 : 204;
      res.end();
    });
  });
  let url: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/referrals`;
    // The test delivers the outbox item itself: no background worker.
    gw = await startTestGateway('sqlite', {}, { schedules: false });
    await addPartner(gw, 'food-bank', 'Organization/demo-food-bank');
    const partner = (await gw.store.getPartner('food-bank'))!;
    await gw.store.upsertPartner({ ...partner, webhookUrl: url, settings: { webhookSecret: 'test-secret-1' } });
    expect(await postReferral(gw, REFERRAL_1)).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
    receiver.close();
  });

  test('an offered referral is delivered signed, in the partner format; a 503 makes it retry', async () => {
    const [item] = await gw.store.claim('test-worker', 10, 60_000);
    expect(item.destination).toBe('webhook:food-bank');
    expect(item.reason).toBe('referral-offered');
    const engine = createMappingEngine({ mappings: await loadMappings([gw.config.mappingsDir]), validator: () => ({ resourceType: 'OperationOutcome', issue: [] }) });
    const deps = { store: gw.store, engine, settings: { baseUrl: gw.base, organization: { reference: 'Organization/coordination-platform' }, tenant: 'default', requiresConsent: true }, urlAllowList: ['127.0.0.1'] };

    failNext = 1;
    await expect(deliverWebhook(deps, item)).rejects.toThrow('HTTP 503');
    await deliverWebhook(deps, item);
    expect(received).toHaveLength(2);
    const last = received[1];
    const timestamp = String(last.headers['x-gateway-timestamp']);
    expect(last.headers['x-gateway-signature']).toBe(signWebhook('test-secret-1', timestamp, last.body));
    // The delivery id is fixed when the notification is queued: the retry carries the same one.
    const deliveryId = (item.payload as { deliveryId?: string }).deliveryId;
    expect(deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(last.headers['x-gateway-delivery']).toBe(deliveryId);
    expect(received[0].headers['x-gateway-delivery']).toBe(deliveryId);
    const payload = JSON.parse(last.body);
    expect(payload.event).toBe('referral-offered');
    expect(payload.referral.client.familyName).toBe('Rivera');
  });

  test('a webhook URL on loopback is refused unless allow-listed, and nothing is sent', async () => {
    const before = received.length;
    const item = { id: 'x', destination: 'webhook:food-bank', orderingKey: 'k', reason: 'r', payload: { taskId: 'x' }, state: 'in-flight' as const, attempts: 0, nextAttemptAt: '', createdAt: '', seq: 0 };
    const engine = createMappingEngine({ mappings: [], validator: () => ({ resourceType: 'OperationOutcome', issue: [] }) });
    const deps = { store: gw.store, engine, settings: { baseUrl: gw.base, organization: { reference: 'Organization/coordination-platform' }, tenant: 'default', requiresConsent: true }, urlAllowList: [] };
    await expect(deliverWebhook(deps, item)).rejects.toThrow(/refused|not allowed|loopback|private/i);
    expect(received.length).toBe(before);
  });
});
