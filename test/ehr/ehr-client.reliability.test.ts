// The EHR client against the reference EHR (Medplum's FHIR router over HTTP) and the local
// SMART token server, over real loopback HTTP. Scenarios of RELIABILITY.md: 3 (503 then
// recovery), 4 (Retry-After in both forms), 5 (commit then timeout), 6 (If-Match conflict),
// 9 (hostile answers, no token off-origin), 10 (token expiry during a long run).
// Each test prints its figure.
import type { Patient } from '@medplum/fhirtypes';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EhrConfigInput, SmartBackendAuth } from '../../src/ehr/config.ts';
import type { EhrClient } from '../../src/ehr/ehr-client.ts';
import { isEhrConflict } from '../../src/ehr/failures.ts';
import { createEhrClient } from '../../src/ehr/http-ehr-client.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startSmartAuthServer, type SmartAuthServer } from '../support/smart-auth-server.ts';

const CLIENT_ID = 'gateway-it';
const KID = 'gateway-it-1';
const SYSTEM = 'urn:test:referral';

interface Collector {
  origin: string;
  requests: { path: string; authorization: boolean }[];
  close(): Promise<void>;
}

/** A foreign origin that records whatever reaches it. */
async function startCollector(): Promise<Collector> {
  const requests: Collector['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization !== undefined });
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end('{"resourceType":"Bundle","type":"searchset"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    // `localhost` and 127.0.0.1 are different origins from the EHR's by port anyway.
    origin: `http://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function patient(value: string): Patient {
  return { resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], name: [{ family: 'Reliability' }] };
}

let pem: string;
let publicJwk: Awaited<ReturnType<typeof exportJWK>>;
let auth: SmartAuthServer;
let ehr: ReferenceEhr;
let collector: Collector;

function smart(server: SmartAuthServer, overrides: Partial<SmartBackendAuth> = {}): SmartBackendAuth {
  return { kind: 'smart-backend', tokenUrl: server.tokenUrl, clientId: CLIENT_ID, keyId: KID, alg: 'ES384', privateKeyPem: pem, scope: 'system/*.read system/*.write', ...overrides };
}

function client(overrides: Partial<EhrConfigInput> = {}): EhrClient {
  return createEhrClient({ baseUrl: ehr.baseUrl, auth: smart(auth), timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200, ...overrides });
}

function offOrigin(): number {
  return collector.requests.length;
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES384', { extractable: true });
  pem = await exportPKCS8(pair.privateKey);
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES384' };
  auth = await startSmartAuthServer({ clients: [{ clientId: CLIENT_ID, jwks: { keys: [publicJwk] }, scopes: ['system/*.read', 'system/*.write'] }] });
  ehr = await startReferenceEhr({ auth: { verify: (token) => auth.verifyAccessToken(token) } });
  collector = await startCollector();
});
afterAll(async () => {
  await Promise.all([ehr.close(), auth.close(), collector.close()]);
});
afterEach(() => {
  ehr.faults.clear();
});

describe('SMART Backend Services against the token server', () => {
  it('renews a short-lived token before expiry during a long run: 0 failed calls', async () => {
    const shortAuth = await startSmartAuthServer({
      clients: [{ clientId: CLIENT_ID, jwks: { keys: [publicJwk] }, scopes: ['system/*.read'] }],
      tokenLifetimeSeconds: 2,
    });
    const guarded = await startReferenceEhr({ auth: { verify: (token) => shortAuth.verifyAccessToken(token) } });
    try {
      const created = await guarded.repo.createResource(patient('renewal'));
      const ehrClient = createEhrClient({ baseUrl: guarded.baseUrl, auth: smart(shortAuth, { scope: 'system/*.read' }), timeoutMs: 2_000 });
      let calls = 0;
      let failed = 0;
      const until = Date.now() + 4_500;
      while (Date.now() < until) {
        try {
          await ehrClient.read<Patient>('Patient', created.id);
        } catch {
          failed++;
        }
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const issued = shortAuth.events.filter((e) => e.result === 'issued').length;
      const refused = guarded.requests.filter((r) => r.status === 401).length;
      console.log(`calls=${calls} tokens_issued=${issued} failed_calls=${failed} ehr_401=${refused}`);
      expect(failed).toBe(0);
      expect(refused).toBe(0);
      expect(issued).toBeGreaterThanOrEqual(3);
    } finally {
      await guarded.close();
      await shortAuth.close();
    }
  });

  it('stops at the token endpoint when the assertion is refused: nothing reaches the EHR', async () => {
    const before = ehr.requests.length;
    const stranger = await generateKeyPair('ES384', { extractable: true });
    const wrongKey = createEhrClient({ baseUrl: ehr.baseUrl, auth: smart(auth, { privateKeyPem: await exportPKCS8(stranger.privateKey) }), backoffBaseMs: 20 });
    await expect(wrongKey.read('Patient', 'anything')).rejects.toThrow('EHR token failed: HTTP 401');
    const unknownKid = createEhrClient({ baseUrl: ehr.baseUrl, auth: smart(auth, { keyId: 'nobody' }), backoffBaseMs: 20 });
    await expect(unknownKid.read('Patient', 'anything')).rejects.toThrow('EHR token failed: HTTP 401');
    const reasons = auth.events.slice(-2).map((e) => e.reason);
    console.log(`refused_assertions=${reasons.length} ehr_requests=${ehr.requests.length - before}`);
    expect(reasons).toEqual(['signature or claims invalid', 'kid unknown']);
    expect(ehr.requests.length - before).toBe(0);
  });
});

describe('retries against the reference EHR', () => {
  it('503 for a while, then recovery: the read succeeds', async () => {
    const created = await ehr.repo.createResource(patient('recover-1'));
    const fault = ehr.faults.add({ method: 'GET', path: new RegExp(created.id), times: 3, action: { kind: 'status', status: 503 } });
    const read = await client().read<Patient>('Patient', created.id);
    const attempts = ehr.requests.filter((r) => r.path.includes(created.id)).length;
    console.log(`server_errors_injected=${fault.applied} attempts=${attempts}`);
    expect(read.id).toBe(created.id);
    expect(attempts).toBe(4);
  });

  it('429 with Retry-After in seconds and as an HTTP-date: no request before the deadline', async () => {
    const created = await ehr.repo.createResource(patient('throttle-1'));
    const path = new RegExp(created.id);
    let early = 0;
    for (const format of ['seconds', 'http-date'] as const) {
      ehr.faults.add({ method: 'GET', path, times: 1, action: { kind: 'retry-after', seconds: 1, format } });
      const from = ehr.requests.length;
      await client().read('Patient', created.id);
      const mine = ehr.requests.slice(from).filter((r) => path.test(r.path));
      const throttled = mine[0];
      expect(throttled.status).toBe(429);
      expect(throttled.retryAfterIssuedAt).toBeDefined();
      // RFC 9110 §10.2.3: seconds count from the response, which no client sees before it was issued.
      const deadline = format === 'seconds' ? (throttled.retryAfterIssuedAt ?? Number.POSITIVE_INFINITY) + 1000 : Date.parse(throttled.retryAfter ?? '');
      expect(Number.isFinite(deadline)).toBe(true);
      early += mine.slice(1).filter((r) => r.at < deadline).length;
      expect(mine).toHaveLength(2);
      console.log(`format=${format} retry_ms_after_deadline=${mine[1].at - deadline}`);
    }
    console.log(`requests_before_deadline=${early}`);
    expect(early).toBe(0);
  });

  it('commit then hang: the retry finds the resource by identifier, 0 duplicates', async () => {
    const runs = 8;
    let found = 0;
    for (let i = 0; i < runs; i++) {
      ehr.faults.add({ method: 'POST', path: /\/fhir\/Patient$/, times: 1, action: { kind: 'commit-then-hang' } });
      const result = await client({ timeoutMs: 300 }).conditionalCreate(patient(`hang-${i}`), { system: SYSTEM, value: `hang-${i}` });
      if (!result.created) {
        found++;
      }
    }
    let duplicates = 0;
    for (let i = 0; i < runs; i++) {
      duplicates += (await ehr.countByIdentifier('Patient', SYSTEM, `hang-${i}`)) - 1;
    }
    console.log(`injections=${runs} found_by_identifier=${found} duplicates=${duplicates}`);
    expect(found).toBe(runs);
    expect(duplicates).toBe(0);
  });

  it('a plain create that times out is not sent twice', async () => {
    ehr.faults.add({ method: 'POST', path: /\/fhir\/Patient$/, times: 1, action: { kind: 'latency', ms: 800 } });
    const from = ehr.requests.length;
    await expect(client({ timeoutMs: 300 }).create(patient('plain-1'))).rejects.toThrow('EHR create failed: timeout');
    const posts = ehr.requests.slice(from).filter((r) => r.method === 'POST').length;
    console.log(`create_attempts=${posts}`);
    expect(posts).toBe(1);
  });

  it('update with a stale version is a conflict; with the current one it applies', async () => {
    const ehrClient = client();
    const { resource } = await ehrClient.conditionalCreate(patient('version-1'), { system: SYSTEM, value: 'version-1' });
    const first = await ehrClient.update({ ...resource, active: true }, resource.meta?.versionId ?? '');
    let conflict: unknown;
    try {
      await ehrClient.update({ ...resource, active: false }, resource.meta?.versionId ?? '');
    } catch (error) {
      conflict = error;
    }
    expect(isEhrConflict(conflict)).toBe(true);
    const current = await ehrClient.read<Patient>('Patient', resource.id ?? '');
    console.log(`lost_updates=${current.active === true ? 0 : 1}`);
    expect(current.meta?.versionId).toBe(first.meta?.versionId);
  });
});

describe('FHIR interactions against the reference EHR', () => {
  it('parallel identical conditional creates from one client are serialised: one in flight, one resource', async () => {
    // Several servers do not make conditional create atomic (RELIABILITY.md): the client must not
    // have two creates for one identifier in flight at once. Latency widens any overlap.
    ehr.faults.add({ method: 'POST', path: /\/fhir\/Patient$/, times: 5, action: { kind: 'latency', ms: 60 } });
    const from = ehr.requests.length;
    const ehrClient = client();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ehrClient.conditionalCreate(patient('parallel-1'), { system: SYSTEM, value: 'parallel-1' })),
    );
    const posts = ehr.requests.slice(from).filter((r) => r.method === 'POST');
    const overlapping = posts.filter((r, i) => i > 0 && r.at < (posts[i - 1].respondedAt ?? Number.POSITIVE_INFINITY)).length;
    const stored = await ehr.countByIdentifier('Patient', SYSTEM, 'parallel-1');
    console.log(`parallel_creates=5 overlapping_in_flight=${overlapping} created=${results.filter((r) => r.created).length} stored=${stored}`);
    expect(posts).toHaveLength(5);
    expect(overlapping).toBe(0);
    expect(stored).toBe(1);
    expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
  });

  it('a transaction is applied and answered with a transaction-response', async () => {
    const response = await client().transaction(
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|tx-1` }, resource: patient('tx-1') }],
      },
      { idempotent: true },
    );
    expect(response.type).toBe('transaction-response');
    expect(await ehr.countByIdentifier('Patient', SYSTEM, 'tx-1')).toBe(1);
  });

  it('search pages carry the server time for cursors', async () => {
    const before = Date.now() - 1000;
    for await (const page of client().search<Patient>('Patient', new URLSearchParams({ family: 'Reliability', _count: '2' }))) {
      expect(Date.parse(page.serverTime ?? '')).toBeGreaterThanOrEqual(before);
      expect(page.resources.length).toBeLessThanOrEqual(2);
    }
  });
});

describe('hostile EHR answers', () => {
  it('a 50 MB body is cut at the cap', async () => {
    ehr.faults.add({ method: 'GET', times: 1, action: { kind: 'huge-body', bytes: 50 * 1024 * 1024 } });
    const started = performance.now();
    const pages = client({ maxResponseBytes: 1024 * 1024 }).search('Patient', new URLSearchParams({ family: 'Reliability' }));
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toThrow('larger than 1048576 bytes');
    console.log(`cap_bytes=1048576 refused_after_ms=${Math.round(performance.now() - started)}`);
  });

  it('HTML with 200 is refused', async () => {
    ehr.faults.add({ method: 'GET', times: 1, action: { kind: 'html' } });
    await expect(client().read('Patient', 'html-probe')).rejects.toThrow('EHR read failed: HTTP 200, response is not FHIR JSON');
  });

  it('a redirect to another origin is not followed', async () => {
    const location = new URL('/fhir/Patient/stolen', collector.origin).href;
    ehr.faults.add({ method: 'GET', times: 1, action: { kind: 'redirect', status: 307, location } });
    await expect(client().read('Patient', 'redirect-probe')).rejects.toThrow('EHR read failed: HTTP 307, redirect not followed');
    expect(offOrigin()).toBe(0);
  });

  it('a next link to a foreign host is refused after the first page', async () => {
    for (let i = 0; i < 3; i++) {
      await ehr.repo.createResource({ ...patient(`foreign-${i}`), name: [{ family: 'Paged' }] });
    }
    ehr.faults.add({ method: 'GET', times: 1, action: { kind: 'foreign-next', origin: collector.origin } });
    let pages = 0;
    const walk = async (): Promise<void> => {
      for await (const page of client().search<Patient>('Patient', new URLSearchParams({ family: 'Paged', _count: '1' }))) {
        expect(page.resources).toHaveLength(1);
        pages++;
      }
    };
    await expect(walk()).rejects.toThrow('EHR search failed: paging link outside the EHR base URL refused');
    expect(pages).toBe(1);
  });

  it('tokens sent off the EHR origin over all hostile answers: 0', async () => {
    // Summarises the tests above; one authorised read keeps it meaningful when run alone.
    const own = await ehr.repo.createResource(patient('summary-1'));
    await client().read('Patient', own.id);
    const tokensOffOrigin = collector.requests.filter((r) => r.authorization).length;
    const ehrWithToken = ehr.requests.filter((r) => r.authorization).length;
    console.log(`off_origin_requests=${offOrigin()} tokens_off_origin=${tokensOffOrigin} ehr_requests_with_token=${ehrWithToken}`);
    expect(ehrWithToken).toBeGreaterThan(0);
    expect(offOrigin()).toBe(0);
    expect(tokensOffOrigin).toBe(0);
    // The collector does record what reaches it, so the zeros above can fail.
    await fetch(new URL('/probe', collector.origin), { headers: { authorization: 'Bearer probe' } });
    expect(collector.requests.filter((r) => r.authorization)).toHaveLength(1);
  });
});
