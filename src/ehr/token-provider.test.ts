// SMART Backend Services token handling of the EHR client, against scripted answers (nock).
import type { Patient } from '@medplum/fhirtypes';
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair } from 'jose';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../fhir/errors.ts';
import type { SmartBackendAuth } from './config.ts';
import { createEhrClient } from './http-ehr-client.ts';

const EHR = 'https://ehr.example';
const AUTH = 'https://auth.example';
const TOKEN_URL = `${AUTH}/oauth/token`;
const FHIR = { 'content-type': 'application/fhir+json' };
const patient: Patient = { resourceType: 'Patient', id: 'p1' };

let pem: string;
let clock: number;
let forms: URLSearchParams[];

function auth(overrides: Partial<SmartBackendAuth> = {}): SmartBackendAuth {
  return { kind: 'smart-backend', tokenUrl: TOKEN_URL, clientId: 'gw-1', keyId: 'key-7', alg: 'ES384', privateKeyPem: pem, scope: 'system/Patient.rs', ...overrides };
}

function client(smart: SmartBackendAuth = auth()) {
  return createEhrClient(
    { baseUrl: `${EHR}/fhir/`, auth: smart, backoffBaseMs: 10 },
    { now: () => clock, random: () => 0, sleep: async () => undefined },
  );
}

/** Token endpoint that records each form and answers with `token-1`, `token-2`, ... in turn. */
function tokenEndpoint(times: number, expiresIn = 300): void {
  for (let n = 1; n <= times; n++) {
    nock(AUTH)
      .post('/oauth/token', (body: Record<string, string>) => {
        forms.push(new URLSearchParams(body));
        return true;
      })
      .reply(200, { access_token: `token-${n}`, token_type: 'bearer', expires_in: expiresIn, scope: 'system/Patient.rs' });
  }
}

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  pem = await exportPKCS8(privateKey);
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('SMART Backend Services token provider', () => {
  it('builds the client assertion as backend-services.html asks', async () => {
    forms = [];
    clock = Date.now();
    tokenEndpoint(1);
    nock(EHR).get('/fhir/Patient/p1').matchHeader('authorization', 'Bearer token-1').reply(200, patient, FHIR);
    await client().read('Patient', 'p1');
    const form = forms[0];
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('system/Patient.rs');
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = form.get('client_assertion') ?? '';
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES384', kid: 'key-7', typ: 'JWT' });
    const claims = decodeJwt(assertion);
    expect(claims.iss).toBe('gw-1');
    expect(claims.sub).toBe('gw-1');
    expect(claims.aud).toBe(TOKEN_URL);
    expect((claims.exp ?? 0) - Math.floor(clock / 1000)).toBeLessThanOrEqual(300);
    expect((claims.exp ?? 0) - Math.floor(clock / 1000)).toBeGreaterThan(0);
    expect(typeof claims.jti).toBe('string');
  });

  it('caches the token, renews it before expiry with a fresh jti', async () => {
    forms = [];
    clock = Date.parse('2026-03-02T12:00:00Z');
    tokenEndpoint(2);
    const seen: string[] = [];
    nock(EHR)
      .get('/fhir/Patient/p1')
      .times(4)
      .matchHeader('authorization', (value: string | null) => {
        seen.push(String(value));
        return true;
      })
      .reply(200, patient, FHIR);
    const ehr = client();
    await ehr.read('Patient', 'p1');
    clock += 60_000;
    await ehr.read('Patient', 'p1');
    clock += 209_000; // 269 s after issue: still inside the renewal margin
    await ehr.read('Patient', 'p1');
    clock += 2_000; // 271 s: within 30 s of expiry, renewed before use
    await ehr.read('Patient', 'p1');
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    const jtis = forms.map((f) => decodeJwt(f.get('client_assertion') ?? '').jti);
    expect(new Set(jtis).size).toBe(2);
  });

  it('renews once when the EHR refuses the token with 401', async () => {
    forms = [];
    clock = Date.now();
    tokenEndpoint(2);
    nock(EHR).get('/fhir/Patient/p1').reply(401).get('/fhir/Patient/p1').matchHeader('authorization', 'Bearer token-2').reply(200, patient, FHIR);
    const read = await client().read<Patient>('Patient', 'p1');
    expect(read.id).toBe('p1');
    expect(forms).toHaveLength(2);
  });

  it('reports a refused assertion without the key, the assertion or the token', async () => {
    clock = Date.now();
    nock(AUTH).post('/oauth/token').reply(401, { error: 'invalid_client' });
    const ehrCalls = nock(EHR).get(/.*/).reply(200, patient, FHIR);
    let caught: unknown;
    try {
      await client().read('Patient', 'p1');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OperationOutcomeError);
    expect((caught as Error).message).toBe('EHR token failed: HTTP 401');
    expect(JSON.stringify((caught as OperationOutcomeError).outcome)).not.toContain('PRIVATE KEY');
    expect(ehrCalls.isDone()).toBe(false);
  });

  it('reports an unreadable key without echoing it', async () => {
    clock = Date.now();
    const badPem = '-----BEGIN PRIVATE KEY-----\nnot-really-a-key\n-----END PRIVATE KEY-----';
    let caught: unknown;
    try {
      await client(auth({ privateKeyPem: badPem })).read('Patient', 'p1');
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe('EHR token failed: private key unreadable');
    expect(JSON.stringify((caught as OperationOutcomeError).outcome)).not.toContain('not-really-a-key');
  });

  it('never sends the token to another origin, even when the EHR redirects there', async () => {
    forms = [];
    clock = Date.now();
    tokenEndpoint(1);
    nock(EHR).get('/fhir/Patient/p1').reply(307, '', { location: 'https://collector.example/steal' });
    const collector = nock('https://collector.example').get(/.*/).reply(200, patient, FHIR);
    await expect(client().read('Patient', 'p1')).rejects.toThrow('EHR read failed: HTTP 307, redirect not followed');
    expect(collector.isDone()).toBe(false);
  });
});
