// EHR base and token URLs go through the outbound URL rule at start-up (RELIABILITY.md
// scenario 30, applied to EHR connections): loopback and private hosts are refused unless
// allow-listed, and the refusal names the EHR and which URL, never the URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EhrConfig } from '../../src/config/config.ts';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { assertEhrUrlsAllowed } from '../../src/sync/ehr-url-check.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startTestGateway } from '../support/gateway.ts';
import { OWNER } from './harness.ts';

function ehrAt(name: string, baseUrl: string, tokenUrl?: string): EhrConfig {
  return {
    name,
    baseUrl,
    auth: tokenUrl ? { kind: 'smart-backend', tokenUrl, clientId: 'c', keyId: 'k', alg: 'ES384', privateKeyEnv: 'UNUSED_KEY', scope: 'system/Task.rs' } : { kind: 'none' },
    organizations: [OWNER],
    pollSchedule: '*/15 * * * *',
    timeoutMs: 5_000,
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error.message;
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

// A resolver standing in for DNS: public names get a documentation-free public address.
const resolve = async (host: string) => [{ address: host === 'ehr.example.org' || host === 'auth.example.org' ? '93.184.215.14' : '10.1.2.3', family: 4 }];

describe('EHR URLs at start-up', () => {
  it('refuses private, loopback and credential-carrying URLs, naming the EHR and the URL kind only', async () => {
    const cases: [EhrConfig, RegExp][] = [
      [ehrAt('clinic-a', 'http://127.0.0.1:8443/fhir/'), /base URL of EHR clinic-a is refused: .*loopback/],
      [ehrAt('clinic-b', 'https://internal.clinic.test/fhir/'), /base URL of EHR clinic-b is refused: .*private/],
      [ehrAt('clinic-c', 'https://ehr.example.org/fhir/', 'http://169.254.169.254/token'), /token URL of EHR clinic-c is refused/],
      [ehrAt('clinic-d', 'https://user:s3cret-pass@ehr.example.org/fhir/'), /base URL of EHR clinic-d is refused: URLs with credentials/],
    ];
    const messages: string[] = [];
    for (const [ehr, expected] of cases) {
      const message = await refusal(assertEhrUrlsAllowed([ehr], [], resolve));
      messages.push(message);
      expect(message).toMatch(expected);
      expect(message).not.toMatch(/127\.0\.0\.1|internal\.clinic|169\.254|s3cret|example\.org|:8443/);
    }
    console.log(`EHR URL check: ${messages.length}/${cases.length} refused, 0 URLs in the messages`);
  });

  it('accepts public hosts, and private ones the allow-list names (host or CIDR)', async () => {
    await expect(assertEhrUrlsAllowed([ehrAt('public', 'https://ehr.example.org/fhir/', 'https://auth.example.org/token')], [], resolve)).resolves.toBeUndefined();
    await expect(assertEhrUrlsAllowed([ehrAt('named', 'https://internal.clinic.test/fhir/')], ['internal.clinic.test'], resolve)).resolves.toBeUndefined();
    await expect(assertEhrUrlsAllowed([ehrAt('range', 'https://internal.clinic.test/fhir/')], ['10.0.0.0/8'], resolve)).resolves.toBeUndefined();
  });
});

describe('gateway start-up with an EHR on loopback', () => {
  let ehr: ReferenceEhr;
  beforeAll(async () => {
    ehr = await startReferenceEhr();
  });
  afterAll(async () => {
    await ehr?.close();
  });

  it('fails without the allow-list entry and starts with it', async () => {
    const ehrs = [ehrAt('loopback-ehr', ehr.baseUrl)];
    const message = await refusal(startTestGateway('sqlite', { ehrs }, { schedules: false }));
    console.log(`start-up refused: ${message}`);
    expect(message).toMatch(/^Invalid configuration: the base URL of EHR loopback-ehr is refused/);
    expect(message).not.toContain(new URL(ehr.baseUrl).port);
    const gw = await startTestGateway('sqlite', { ehrs, security: { urlAllowList: ['127.0.0.1'] } as never }, { schedules: false });
    try {
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
