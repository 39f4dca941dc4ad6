// Unit tests of the HTTP client's reliability rules against scripted answers (nock).
// Waits are recorded instead of slept, so Retry-After and backoff are checked exactly.
import type { Bundle, Patient } from '@medplum/fhirtypes';
import nock from 'nock';
import { Readable } from 'node:stream';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../fhir/errors.ts';
import type { CallDeps } from './call-executor.ts';
import type { EhrClient } from './ehr-client.ts';
import { isEhrConflict, isEhrTransient } from './failures.ts';
import { createEhrClient } from './http-ehr-client.ts';

const EHR = 'https://ehr.example';
const BASE = `${EHR}/fhir/`;
const FHIR = { 'content-type': 'application/fhir+json' };
const NOW = Date.parse('2026-03-02T12:00:00.000Z');

let sleeps: number[];

function client(overrides: Partial<Parameters<typeof createEhrClient>[0]> = {}): EhrClient {
  const deps: Partial<CallDeps> = {
    now: () => NOW,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return createEhrClient({ baseUrl: BASE, auth: { kind: 'none' }, timeoutMs: 2_000, maxAttempts: 4, backoffBaseMs: 100, ...overrides }, deps);
}

async function failure(promise: Promise<unknown>): Promise<OperationOutcomeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OperationOutcomeError);
    return error as OperationOutcomeError;
  }
  throw new Error('expected the call to fail');
}

function text(error: OperationOutcomeError): string {
  return JSON.stringify(error.outcome);
}

const patient: Patient = { resourceType: 'Patient', id: 'p1', meta: { versionId: '3' }, identifier: [{ system: 'urn:mrn', value: 'MRN-SECRET-42' }] };

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  sleeps = [];
  nock.cleanAll();
});
sleeps = [];

describe('retries', () => {
  it('retries 5xx with growing backoff and succeeds once the EHR recovers', async () => {
    const scope = nock(EHR).get('/fhir/Patient/p1').times(2).reply(503).get('/fhir/Patient/p1').reply(502).get('/fhir/Patient/p1').reply(200, patient, FHIR);
    const read = await client().read<Patient>('Patient', 'p1');
    expect(read.id).toBe('p1');
    expect(sleeps).toEqual([75, 150, 300]);
    expect(scope.isDone()).toBe(true);
  });

  it('gives up after maxAttempts with a transient error naming the operation and status', async () => {
    nock(EHR).get('/fhir/Patient/p1').times(4).reply(503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'MRN-SECRET-42' }] }, FHIR);
    const error = await failure(client().read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: HTTP 503 after 4 attempts');
    expect(isEhrTransient(error)).toBe(true);
    expect(text(error)).not.toContain('MRN-SECRET-42');
  });

  it('honours Retry-After in seconds on 429', async () => {
    nock(EHR).get('/fhir/Patient/p1').reply(429, '', { 'retry-after': '7' }).get('/fhir/Patient/p1').reply(200, patient, FHIR);
    await client().read('Patient', 'p1');
    expect(sleeps).toEqual([7000]);
  });

  it('honours Retry-After as an HTTP-date on 503, measured against the server Date', async () => {
    nock(EHR)
      .get('/fhir/Patient/p1')
      .reply(503, '', { 'retry-after': 'Mon, 02 Mar 2026 12:00:12 GMT', date: 'Mon, 02 Mar 2026 12:00:00 GMT' })
      .get('/fhir/Patient/p1')
      .reply(200, patient, FHIR);
    await client().read('Patient', 'p1');
    expect(sleeps).toEqual([12_000]);
  });

  it('fails instead of waiting when Retry-After is beyond the allowed wait', async () => {
    nock(EHR).get('/fhir/Patient/p1').reply(429, '', { 'retry-after': '3600' });
    const error = await failure(client({ maxRetryAfterMs: 60_000 }).read('Patient', 'p1'));
    expect(error.message).toContain('Retry-After');
    expect(sleeps).toEqual([]);
  });

  it('retries network errors on reads, and the error text never carries the cause', async () => {
    nock(EHR).get('/fhir/Patient/p1').replyWithError('socket hang up near MRN-SECRET-42').get('/fhir/Patient/p1').reply(200, patient, FHIR);
    expect((await client().read<Patient>('Patient', 'p1')).id).toBe('p1');
    expect(sleeps).toHaveLength(1);
    nock(EHR).get('/fhir/Patient/p1').times(4).replyWithError('socket hang up near MRN-SECRET-42');
    const error = await failure(client().read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: network error after 4 attempts');
    expect(isEhrTransient(error)).toBe(true);
    expect(text(error)).not.toContain('MRN-SECRET-42');
  });

  // Timeouts are tested against the reference EHR (test/ehr): nock's delayed replies race undici's abort.

  it('does not retry 4xx answers', async () => {
    const scope = nock(EHR).get('/fhir/Patient/p1').reply(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', expression: ['Patient.birthDate'], diagnostics: 'MRN-SECRET-42' }] }, FHIR);
    const error = await failure(client().read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: HTTP 400');
    expect(error.outcome.issue?.[1]?.expression).toEqual(['Patient.birthDate']);
    expect(text(error)).not.toContain('MRN-SECRET-42');
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });
});

describe('writes', () => {
  it('sends If-Match with the version on every update', async () => {
    nock(EHR)
      .put('/fhir/Patient/p1')
      .matchHeader('if-match', 'W/"3"')
      .matchHeader('content-type', /application\/fhir\+json/)
      .reply(200, { ...patient, meta: { versionId: '4' } }, FHIR);
    const updated = await client().update(patient, '3');
    expect(updated.meta?.versionId).toBe('4');
  });

  it('turns 409 and 412 into one conflict error', async () => {
    nock(EHR).put('/fhir/Patient/p1').reply(409).put('/fhir/Patient/p1').reply(412);
    const first = await failure(client().update(patient, '3'));
    const second = await failure(client().update(patient, 'W/"3"'));
    expect([isEhrConflict(first), isEhrConflict(second)]).toEqual([true, true]);
    expect(first.message).toBe('EHR update conflict: HTTP 409');
    expect(second.message).toBe('EHR update conflict: HTTP 412');
  });

  it('creates conditionally by business identifier and reports whether it created', async () => {
    const ifNoneExist = new URLSearchParams({ identifier: 'urn:mrn|MRN-SECRET-42' }).toString();
    nock(EHR).post('/fhir/Patient').matchHeader('if-none-exist', ifNoneExist).reply(201, patient, FHIR).post('/fhir/Patient').matchHeader('if-none-exist', ifNoneExist).reply(200, patient, FHIR);
    const ehr = client();
    const identifier = { system: 'urn:mrn', value: 'MRN-SECRET-42' };
    expect((await ehr.conditionalCreate(patient, identifier)).created).toBe(true);
    expect((await ehr.conditionalCreate(patient, identifier)).created).toBe(false);
  });

  it('refuses a conditional create whose resource lacks the identifier, naming where', async () => {
    const error = await failure(client().conditionalCreate({ resourceType: 'Patient' }, { system: 'urn:mrn', value: 'x' }));
    expect(error.outcome.issue?.[0]?.expression).toEqual(['Patient.identifier']);
  });
});

describe('hostile answers', () => {
  it('caps the response size, announced or streamed', async () => {
    nock(EHR).get('/fhir/Patient/p1').reply(200, 'x'.repeat(5000), FHIR);
    const error = await failure(client({ maxResponseBytes: 1000 }).read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: HTTP 200, response larger than 1000 bytes');
    nock(EHR)
      .get('/fhir/Patient/p1')
      .reply(200, () => Readable.from(Array.from({ length: 50 }, () => Buffer.alloc(100, 120))), FHIR);
    const streamed = await failure(client({ maxResponseBytes: 1000 }).read('Patient', 'p1'));
    expect(streamed.message).toContain('larger than 1000 bytes');
  });

  it('does not follow a redirect to another origin and sends nothing there', async () => {
    nock(EHR).get('/fhir/Patient/p1').reply(302, '', { location: 'https://elsewhere.example/fhir/Patient/p1' });
    const elsewhere = nock('https://elsewhere.example').get(/.*/).reply(200, patient, FHIR);
    const error = await failure(client().read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: HTTP 302, redirect not followed');
    expect(elsewhere.isDone()).toBe(false);
  });

  it('refuses a 200 that is not FHIR JSON', async () => {
    nock(EHR).get('/fhir/Patient/p1').reply(200, '<html>login</html>', { 'content-type': 'text/html' });
    const error = await failure(client().read('Patient', 'p1'));
    expect(error.message).toBe('EHR read failed: HTTP 200, response is not FHIR JSON');
  });

  it('follows next links on its own base and refuses foreign ones before sending', async () => {
    const page = (next?: string): Bundle<Patient> => ({
      resourceType: 'Bundle',
      type: 'searchset',
      meta: { lastUpdated: '2026-03-02T11:59:59.123Z' },
      entry: [{ resource: patient, search: { mode: 'match' } }],
      link: next ? [{ relation: 'next', url: next }] : [],
    });
    nock(EHR)
      .get('/fhir/Patient')
      .query({ _count: '1' })
      .reply(200, page(`${BASE}Patient?_count=1&_offset=1`), FHIR)
      .get('/fhir/Patient')
      .query({ _count: '1', _offset: '1' })
      .reply(200, page('https://attacker.example/fhir/Patient?_count=1&_offset=2'), FHIR);
    const attacker = nock('https://attacker.example').get(/.*/).reply(200, page(), FHIR);
    const pages: string[] = [];
    const error = await failure(
      (async () => {
        for await (const p of client().search<Patient>('Patient', new URLSearchParams({ _count: '1' }))) {
          pages.push(p.serverTime ?? '');
          expect(p.resources).toHaveLength(1);
        }
      })(),
    );
    expect(pages).toEqual(['2026-03-02T11:59:59.123Z', '2026-03-02T11:59:59.123Z']);
    expect(error.message).toBe('EHR search failed: paging link outside the EHR base URL refused');
    expect(attacker.isDone()).toBe(false);
  });
});
