// Demo mode: the bundled reference EHR (Medplum's FHIR router over HTTP, test/support) on a
// loopback port, seeded through its own FHIR API with the referrals in examples/demo/.
import { readFile } from 'node:fs/promises';
import type { Bundle } from '@medplum/fhirtypes';
import { OperationOutcomeError, badGateway } from './fhir/index.ts';
import type { EhrConfig } from './config/config.ts';
import { DEFAULT_POLL_SCHEDULE } from './config/load.ts';
import type { Logger } from './logging/logger.ts';
import { newApiKey } from './security/api-keys.ts';
import type { Store } from './store/store.ts';
import { startReferenceEhr } from '../test/support/reference-ehr.ts';

export interface DemoEhr {
  baseUrl: string;
  /** Demo partners and their API keys (fresh at every start; printed for the newcomer). */
  partners?: { id: string; key: string }[];
  close(): Promise<void>;
}

/** The demo EHR as an EHR connection routing the two demo organisations' referrals. */
export function demoEhrConnection(ehr: DemoEhr): EhrConfig {
  return {
    name: 'demo-ehr',
    baseUrl: ehr.baseUrl,
    auth: { kind: 'none' },
    organizations: DEMO_PARTNERS.map((p) => p.organization),
    pollSchedule: DEFAULT_POLL_SCHEDULE,
    timeoutMs: 10_000,
  };
}

const DEMO_PARTNERS = [
  { id: 'food-bank', name: 'Eastside Community Food Bank', organization: 'Organization/demo-food-bank' },
  { id: 'housing', name: 'Harbor Housing Services', organization: 'Organization/demo-housing' },
];

/** Registers the demo organisations as partners, each with a new API key. */
export async function seedDemoPartners(store: Store): Promise<{ id: string; key: string }[]> {
  const now = new Date().toISOString();
  const keys: { id: string; key: string }[] = [];
  for (const partner of DEMO_PARTNERS) {
    const existing = await store.getPartner(partner.id);
    await store.upsertPartner({ ...partner, tenant: partner.id, mapping: 'referral', settings: existing?.settings ?? {}, createdAt: existing?.createdAt ?? now });
    const key = newApiKey();
    await store.addCredential({ id: `demo-${partner.id}-${key.lookup}`, partnerId: partner.id, kind: 'api-key', secretHash: key.secretHash, lookup: key.lookup, scopes: ['system/*.cruds'], createdAt: now });
    keys.push({ id: partner.id, key: key.key });
  }
  return keys;
}

const SEED = new URL('../examples/demo/referrals.json', import.meta.url);

export async function startDemoEhr(logger: Logger): Promise<DemoEhr> {
  const ehr = await startReferenceEhr();
  try {
    const seed = JSON.parse(await readFile(SEED, 'utf8')) as Bundle;
    const response = await fetch(ehr.baseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(seed),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
      throw new OperationOutcomeError(badGateway(`Seeding the demo EHR failed with HTTP ${response.status}`));
    }
    logger.info({ resources: seed.entry?.length ?? 0, ehr: ehr.baseUrl }, 'demo EHR seeded');
  } catch (error) {
    await ehr.close();
    throw error;
  }
  return { baseUrl: ehr.baseUrl, close: () => ehr.close() };
}
