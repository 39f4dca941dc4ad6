// The reference EHR over real HTTP: FHIR REST behaviour (conditional create, If-Match,
// paging) and every fault action, each observed from the client side.
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceEhr, type ReferenceEhr } from './reference-ehr.ts';

const FHIR_JSON = 'application/fhir+json';

let ehr: ReferenceEhr;

beforeAll(async () => {
  ehr = await startReferenceEhr({ defaultPageSize: 5 });
});
afterAll(async () => {
  await ehr.close();
});
afterEach(() => {
  ehr.faults.clear();
});

function url(relative: string, params?: Record<string, string>): URL {
  const result = new URL(relative, ehr.baseUrl);
  if (params) {
    result.search = new URLSearchParams(params).toString();
  }
  return result;
}

async function post(relative: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(relative), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': FHIR_JSON, ...headers } });
}

function patient(value: string): Patient {
  return { resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value }] };
}

function ifNoneExist(value: string): string {
  return new URLSearchParams({ identifier: `urn:test:mrn|${value}` }).toString();
}

describe('FHIR REST over HTTP', () => {
  it('Conditional create is answered 201 once, then 200 with the same resource', async () => {
    const first = await post('Patient', patient('cc-1'), { 'if-none-exist': ifNoneExist('cc-1') });
    expect(first.status).toBe(201);
    const created = (await first.json()) as Patient;
    expect(first.headers.get('content-type')).toContain(FHIR_JSON);
    expect(first.headers.get('etag')).toBe(`W/"${created.meta?.versionId}"`);
    expect(first.headers.get('location')).toBe(url(`Patient/${created.id}/_history/${created.meta?.versionId}`).href);
    expect(new Date(first.headers.get('last-modified') ?? '').getTime()).toBeGreaterThan(0);
    expect(new Date(first.headers.get('date') ?? '').getTime()).toBeGreaterThan(0);

    const second = await post('Patient', patient('cc-1'), { 'if-none-exist': ifNoneExist('cc-1') });
    expect(second.status).toBe(200);
    expect(((await second.json()) as Patient).id).toBe(created.id);
    expect(await ehr.countByIdentifier('Patient', 'urn:test:mrn', 'cc-1')).toBe(1);
  });

  it('Update with a stale If-Match is refused with 412 and changes nothing', async () => {
    const created = (await (await post('Patient', patient('im-1'))).json()) as Patient;
    const put = (ifMatch: string): Promise<Response> =>
      fetch(url(`Patient/${created.id}`), {
        method: 'PUT',
        body: JSON.stringify({ ...created, active: true }),
        headers: { 'content-type': FHIR_JSON, 'if-match': ifMatch },
      });
    const stale = await put('W/"not-the-version"');
    expect([409, 412]).toContain(stale.status);
    expect(((await stale.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const ok = await put(`W/"${created.meta?.versionId}"`);
    expect(ok.status).toBe(200);
    const updated = (await ok.json()) as Patient;
    expect(updated.active).toBe(true);
    expect(updated.meta?.versionId).not.toBe(created.meta?.versionId);
    const again = await put(`W/"${created.meta?.versionId}"`);
    expect([409, 412]).toContain(again.status);
  });

  it('Paged search is followed through absolute next links on the same origin', async () => {
    for (let i = 0; i < 12; i++) {
      await post('Patient', { ...patient(`page-${i}`), name: [{ family: 'Pager' }] });
    }
    const seen: string[] = [];
    let next: string | undefined = url('Patient', { family: 'Pager', _count: '5' }).href;
    let pages = 0;
    while (next) {
      const res = await fetch(next);
      expect(res.status).toBe(200);
      const bundle = (await res.json()) as Bundle<Patient>;
      expect(bundle.meta?.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      seen.push(...(bundle.entry ?? []).map((e) => e.resource?.id ?? ''));
      next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (next) {
        expect(new URL(next).origin).toBe(ehr.origin);
      }
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(12);
  });

  it('Search by _lastUpdated finds only what changed since', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    await post('Patient', { ...patient('lu-1'), name: [{ family: 'Recent' }] });
    const since = await (await fetch(url('Patient', { family: 'Recent', _lastUpdated: `ge${before}` }))).json();
    const future = await (await fetch(url('Patient', { family: 'Recent', _lastUpdated: 'ge2999-01-01' }))).json();
    expect((since as Bundle).entry).toHaveLength(1);
    expect((future as Bundle).entry ?? []).toHaveLength(0);
  });

  it('A transaction is answered with a transaction-response', async () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'POST', url: 'Patient' }, resource: patient('tx-1') }],
    };
    const res = await post('', bundle);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Bundle;
    expect(body.type).toBe('transaction-response');
    expect(body.entry?.[0]?.response?.status).toBe('201');
  });

  it('Requests are logged with method, path and whether a token came', async () => {
    await fetch(url('Patient', { _id: 'log-check' }), { headers: { authorization: 'Bearer abc' } });
    const last = ehr.requests.at(-1);
    expect(last).toMatchObject({ method: 'GET', authorization: true, status: 200 });
    expect(last?.path).toBe('/fhir/Patient?_id=log-check');
  });
});

describe('Fault injection', () => {
  it('latency delays the answer', async () => {
    ehr.faults.add({ path: /latency-probe/, times: 1, action: { kind: 'latency', ms: 300 } });
    const started = performance.now();
    const res = await fetch(url('Patient', { _id: 'latency-probe' }));
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    console.log(`latency_ms=${Math.round(elapsed)}`);
  });

  it('status answers N times, then the server recovers', async () => {
    ehr.faults.add({ method: 'GET', path: /status-probe/, times: 2, action: { kind: 'status', status: 503 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fetch(url('Patient', { _id: 'status-probe' }))).status);
    }
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('429 carries Retry-After in seconds or as an HTTP-date', async () => {
    ehr.faults.add({ times: 1, action: { kind: 'retry-after', seconds: 3, format: 'seconds' } });
    ehr.faults.add({ times: 1, action: { kind: 'retry-after', seconds: 3, format: 'http-date' } });
    const first = await fetch(url('Patient'));
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    const second = await fetch(url('Patient'));
    expect(second.status).toBe(429);
    expect(ehr.requests.at(-1)?.retryAfter).toBe(second.headers.get('retry-after'));
    const date = Date.parse(second.headers.get('retry-after') ?? '');
    expect(date - Date.now()).toBeGreaterThan(1500);
    expect(date - Date.now()).toBeLessThanOrEqual(4000);
  });

  it('commit-then-hang stores the write and never answers', async () => {
    ehr.faults.add({ method: 'POST', times: 1, action: { kind: 'commit-then-hang' } });
    const answer = fetch(url('Patient'), {
      method: 'POST',
      body: JSON.stringify(patient('hang-1')),
      headers: { 'content-type': FHIR_JSON },
      signal: AbortSignal.timeout(500),
    });
    await expect(answer).rejects.toThrow();
    expect(await ehr.countByIdentifier('Patient', 'urn:test:mrn', 'hang-1')).toBe(1);
  });

  it('commit-then-hang with a delay stores the write and answers late', async () => {
    ehr.faults.add({ method: 'POST', times: 1, action: { kind: 'commit-then-hang', delayMs: 400 } });
    const started = performance.now();
    const res = await post('Patient', patient('late-1'));
    expect(res.status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(await ehr.countByIdentifier('Patient', 'urn:test:mrn', 'late-1')).toBe(1);
  });

  it('forced 409 and 412 leave the resource untouched', async () => {
    const created = (await (await post('Patient', patient('forced-1'))).json()) as Patient;
    ehr.faults.add({ method: 'PUT', times: 1, action: { kind: 'conflict', status: 409 } });
    ehr.faults.add({ method: 'PUT', times: 1, action: { kind: 'conflict', status: 412 } });
    const put = (): Promise<Response> =>
      fetch(url(`Patient/${created.id}`), { method: 'PUT', body: JSON.stringify(created), headers: { 'content-type': FHIR_JSON } });
    expect((await put()).status).toBe(409);
    expect((await put()).status).toBe(412);
    const current = await ehr.repo.readResource<Patient>('Patient', created.id ?? '');
    expect(current.meta?.versionId).toBe(created.meta?.versionId);
  });

  it('huge-body streams the number of bytes asked', async () => {
    ehr.faults.add({ times: 1, action: { kind: 'huge-body', bytes: 5 * 1024 * 1024 } });
    const res = await fetch(url('Patient'));
    expect(res.status).toBe(200);
    const bytes = (await res.arrayBuffer()).byteLength;
    expect(bytes).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    console.log(`huge_body_bytes=${bytes}`);
  });

  it('html answers 200 with a web page', async () => {
    ehr.faults.add({ times: 1, action: { kind: 'html' } });
    const res = await fetch(url('Patient'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('redirect points to another origin', async () => {
    ehr.faults.add({ times: 1, action: { kind: 'redirect', status: 307, location: 'http://127.0.0.2:9/fhir/Patient' } });
    const res = await fetch(url('Patient'), { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('http://127.0.0.2:9/fhir/Patient');
  });

  it('foreign-next rewrites the next link to a foreign host', async () => {
    for (let i = 0; i < 3; i++) {
      await post('Patient', { ...patient(`fn-${i}`), name: [{ family: 'Foreign' }] });
    }
    ehr.faults.add({ times: 1, action: { kind: 'foreign-next', origin: 'http://attacker.example:8080' } });
    const bundle = (await (await fetch(url('Patient', { family: 'Foreign', _count: '1' }))).json()) as Bundle;
    const next = new URL(bundle.link?.find((l) => l.relation === 'next')?.url ?? '');
    expect(next.origin).toBe('http://attacker.example:8080');
    expect(next.pathname).toBe('/fhir/Patient');
  });

  it('clock-skew shifts the Date header and Bundle.meta.lastUpdated', async () => {
    const skew = 5 * 60 * 1000;
    ehr.faults.add({ times: 1, action: { kind: 'clock-skew', ms: skew } });
    const res = await fetch(url('Patient', { _id: 'skew' }));
    const bundle = (await res.json()) as Bundle;
    const dateShift = Date.parse(res.headers.get('date') ?? '') - Date.now();
    const metaShift = Date.parse(bundle.meta?.lastUpdated ?? '') - Date.now();
    expect(dateShift).toBeGreaterThan(skew - 3000);
    expect(metaShift).toBeGreaterThan(skew - 3000);
    console.log(`date_skew_ms=${Math.round(dateShift)} meta_skew_ms=${Math.round(metaShift)}`);
  });
});

describe('Bearer token requirement', () => {
  let secured: ReferenceEhr;
  beforeAll(async () => {
    secured = await startReferenceEhr({ auth: { verify: async (token) => token === 'good-token' } });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('refuses requests without a valid token with 401 and accepts a valid one', async () => {
    const target = new URL('Patient', secured.baseUrl);
    expect((await fetch(target)).status).toBe(401);
    expect((await fetch(target, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(target, { headers: { authorization: 'Bearer good-token' } })).status).toBe(200);
    expect(secured.requests.map((r) => r.authorization)).toEqual([false, true, true]);
  });
});

