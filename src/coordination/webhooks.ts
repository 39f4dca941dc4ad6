// Webhooks to partners on new or changed referrals. The body is the referral in the partner's
// own format (mapped at delivery time, so it is current), signed with HMAC-SHA256 over
// `<timestamp>.<body>` with the partner's webhook secret; the delivery id is set when the
// notification is queued (the outbox item's id for older items), so every retry and a replay
// from the dead-letter list carry the same id and receivers can deduplicate. Delivery goes only
// to URLs the SSRF guard accepts, never follows redirects, and has a timeout.
import { createHmac } from 'node:crypto';
import { OperationOutcomeError, badGateway, gatewayTimeout, unavailable } from '../fhir/index.ts';
import type { MappingEngine } from '../mapping/index.ts';
import { assertSafeUrl } from '../security/index.ts';
import type { OutboxItem, Store } from '../store/store.ts';
import type { Deliverer } from '../sync/outbox-worker.ts';
import { readInboxRecord } from './partner-inbox.ts';
import type { PlatformSettings } from './platform.ts';

export const SIGNATURE_HEADER = 'X-Gateway-Signature';
export const TIMESTAMP_HEADER = 'X-Gateway-Timestamp';
export const DELIVERY_HEADER = 'X-Gateway-Delivery';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookDeps {
  store: Store;
  engine: MappingEngine;
  settings: PlatformSettings;
  urlAllowList: readonly string[];
  timeoutMs?: number;
  now?: () => Date;
}

/** Delivers one `webhook:<partner>` outbox item; throws an OperationOutcomeError to retry or bury. */
export async function deliverWebhook(deps: WebhookDeps, item: OutboxItem): Promise<void> {
  const partnerId = item.destination.slice('webhook:'.length);
  const partner = await deps.store.getPartner(partnerId);
  const payload = item.payload as { taskId?: string; deliveryId?: string };
  const deliveryId = typeof payload.deliveryId === 'string' && payload.deliveryId ? payload.deliveryId : item.id;
  if (!partner?.webhookUrl || !payload.taskId) {
    return; // The partner no longer takes webhooks: nothing to deliver.
  }
  const secret = typeof partner.settings.webhookSecret === 'string' ? partner.settings.webhookSecret : '';
  await assertSafeUrl(partner.webhookUrl, deps.urlAllowList);
  const now = (deps.now ?? (() => new Date()))();
  const referral = await readInboxRecord(deps.store, deps.engine, deps.settings, partner, payload.taskId, now.toISOString());
  if (referral === undefined) {
    return; // No longer disclosable (consent revoked or the referral gone): nothing is sent.
  }
  const body = JSON.stringify({ event: item.reason, deliveryId, referral });
  const timestamp = String(Math.floor(now.getTime() / 1000));
  let response: Response;
  try {
    response = await fetch(partner.webhookUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body), [TIMESTAMP_HEADER]: timestamp, [DELIVERY_HEADER]: deliveryId },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new OperationOutcomeError(timedOut ? gatewayTimeout('Webhook delivery timed out') : unavailable('Webhook delivery failed: the partner endpoint could not be reached'));
  }
  if (response.status < 200 || response.status >= 300) {
    throw new OperationOutcomeError(badGateway(`Webhook delivery answered HTTP ${response.status}`));
  }
}

/** The outbox worker's deliverer for `webhook:*` destinations. */
export function webhookDeliverer(deps: WebhookDeps): Deliverer {
  return {
    async deliver(item) {
      await deliverWebhook(deps, item);
      return { kind: 'delivered' };
    },
  };
}
