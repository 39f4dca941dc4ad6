// Demo mode: the bundled reference EHR (Medplum's FHIR router over HTTP, test/support) on a
// loopback port, seeded through its own FHIR API with the referrals in examples/demo/.
import { readFile } from 'node:fs/promises';
import type { Bundle } from '@medplum/fhirtypes';
import { OperationOutcomeError, badGateway } from './fhir/index.ts';
import type { Logger } from './logging/logger.ts';
import { startReferenceEhr } from '../test/support/reference-ehr.ts';

export interface DemoEhr {
  baseUrl: string;
  close(): Promise<void>;
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
