// RELIABILITY.md scenarios 27-28 and issue 8 evidence: forged, expired, not-yet-valid, alg
// none, HS256 with the public key, wrong aud/iss, unknown kid, replayed jti, revoked key: all
// 401; scope escalation: all 403. Each group prints its count.
import { createHash } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAccessTokens } from '../../src/security/access-tokens.ts';
import { assertion, b64, CLIENT_ID, fhir, requestToken, startSecureGateway, TOKEN_SECRET, ADMIN_TOKEN, type SecureGateway } from './support.ts';

let gw: SecureGateway;

beforeAll(async () => {
  gw = await startSecureGateway();
});

afterAll(async () => {
  await gw?.close();
});

const task = { resourceType: 'Task', status: 'requested', intent: 'order' };

describe('token endpoint', () => {
  test('a valid assertion gets a bearer token that reads the FHIR API', async () => {
    const r = await requestToken(gw, await assertion(gw), 'system/Task.rs');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'bearer', expires_in: 300, scope: 'system/Task.rs' });
    const read = await fhir(gw, 'GET', 'Task', r.json.access_token as string);
    expect(read.status).toBe(200);
  });

  test('every forged or malformed client assertion is 401 invalid_client', async () => {
    const other = await generateKeyPair('ES384', { extractable: true });
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const { d: _private, ...registered } = await exportJWK(gw.signingKey);
    const publicJwk = JSON.stringify({ ...registered, kid: 'k1' });
    const now = Math.floor(Date.now() / 1000);
    const registeredPublic = (await gw.admin('GET', 'admin/partners/alpha/credentials')).json.credentials as { kind: string }[];
    expect(registeredPublic.some((c) => c.kind === 'jwks')).toBe(true);
    const attacks: Record<string, () => Promise<string>> = {
      forged: () => assertion(gw, { key: other.privateKey }),
      expired: () => assertion(gw, { exp: -120 }),
      'not yet valid': () => assertion(gw, { nbf: 120 }),
      'alg none': async () => `${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64({ iss: CLIENT_ID, sub: CLIENT_ID, aud: gw.tokenUrl, exp: now + 200, jti: 'none-1' })}.`,
      'HS256 with the public JWK': () => assertion(gw, { alg: 'HS256', key: new TextEncoder().encode(publicJwk) }),
      'HS256 with the public key PEM': async () => assertion(gw, { alg: 'HS256', key: new TextEncoder().encode(await exportSPKI(other.publicKey)) }),
      'RS256 (not allowed)': () => assertion(gw, { alg: 'RS256', key: rsa.privateKey }),
      'wrong aud': () => assertion(gw, { aud: 'https://elsewhere.example/token' }),
      'wrong iss': () => assertion(gw, { iss: 'someone-else' }),
      'sub differs from iss': () => assertion(gw, { sub: 'someone-else' }),
      'unknown kid': () => assertion(gw, { kid: 'k2' }),
      'no jti': () => assertion(gw, { jti: null }),
      'exp more than 5 minutes ahead': () => assertion(gw, { exp: 3600 }),
      'garbage': async () => 'not.a.jwt',
    };
    let refused = 0;
    for (const [name, make] of Object.entries(attacks)) {
      const r = await requestToken(gw, await make());
      expect([name, r.status, r.json.error]).toEqual([name, 401, 'invalid_client']);
      expect(r.json.access_token).toBeUndefined();
      refused += 1;
    }
    console.log(`client assertion attacks refused with 401: ${refused}/${Object.keys(attacks).length}`);
  });

  test('a replayed jti is 401 the second time', async () => {
    const jti = `replay-${Date.now()}`;
    const jwt = await assertion(gw, { jti });
    expect((await requestToken(gw, jwt)).status).toBe(200);
    const again = await requestToken(gw, jwt);
    expect(again.status).toBe(401);
    // A newly signed assertion reusing the jti is a replay too.
    const fresh = await assertion(gw, { jti, exp: 200 });
    expect((await requestToken(gw, fresh)).status).toBe(401);
    console.log('replayed jti refused with 401: 2/2');
  });

  test('scopes beyond what the client holds are not granted', async () => {
    const r = await requestToken(gw, await assertion(gw), 'system/Task.rs system/Observation.cruds launch/patient');
    expect(r.status).toBe(200);
    expect(r.json.scope).toBe('system/Task.rs system/Observation.cruds');
    const none = await requestToken(gw, await assertion(gw), 'user/Task.rs');
    expect(none.status).toBe(400);
    expect(none.json.error).toBe('invalid_scope');
  });
});

describe('bearer credentials on the FHIR and admin APIs', () => {
  test('every bad credential is 401 with an OperationOutcome and a challenge', async () => {
    const expired = await createAccessTokens({ secret: TOKEN_SECRET, issuer: gw.base, lifetimeSeconds: 60, now: () => Date.now() - 3_600_000 }).issue({ partnerId: 'alpha', credentialId: gw.credentials.jwks, scopes: ['system/*.cruds'] });
    const foreign = await createAccessTokens({ secret: 'x'.repeat(40), issuer: gw.base, lifetimeSeconds: 60 }).issue({ partnerId: 'alpha', credentialId: gw.credentials.jwks, scopes: ['system/*.cruds'] });
    const wrongAudience = await createAccessTokens({ secret: TOKEN_SECRET, issuer: 'https://other.example/', lifetimeSeconds: 60 }).issue({ partnerId: 'alpha', credentialId: gw.credentials.jwks, scopes: ['system/*.cruds'] });
    const now = Math.floor(Date.now() / 1000);
    const algNone = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: gw.base, aud: gw.base, sub: 'alpha', cid: gw.credentials.jwks, scope: 'system/*.cruds', exp: now + 60 })}.`;
    const hsWithoutSecret = await new SignJWT({ cid: gw.credentials.jwks, scope: 'system/*.cruds' }).setProtectedHeader({ alg: 'HS512' }).setIssuer(gw.base).setAudience(gw.base).setSubject('alpha').setExpirationTime(now + 60).sign(createHash('sha512').update('guess').digest());
    const [lookup] = /^gwk_[A-Za-z0-9]{12}_/.exec(gw.keys.alpha)!;
    const cases: Record<string, Record<string, string>> = {
      'no credentials': {},
      'not a bearer scheme': { authorization: `Basic ${Buffer.from('alpha:x').toString('base64')}` },
      'garbage bearer': { authorization: 'Bearer abc.def.ghi' },
      'expired access token': { authorization: `Bearer ${expired.token}` },
      'token signed with another secret': { authorization: `Bearer ${foreign.token}` },
      'token for another audience': { authorization: `Bearer ${wrongAudience.token}` },
      'alg none access token': { authorization: `Bearer ${algNone}` },
      'HS512 access token': { authorization: `Bearer ${hsWithoutSecret}` },
      'api key with a wrong secret': { authorization: `Bearer ${lookup}${'A'.repeat(32)}` },
      'admin token on the FHIR API': { authorization: `Bearer ${ADMIN_TOKEN}` },
    };
    let refused = 0;
    for (const [name, headers] of Object.entries(cases)) {
      const r = await fhir(gw, 'GET', 'Task', undefined, undefined, headers);
      expect([name, r.status, r.json?.resourceType]).toEqual([name, 401, 'OperationOutcome']);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      refused += 1;
    }
    for (const token of [gw.keys.alpha, 'wrong-admin-token-000000000000000']) {
      const r = await fhir(gw, 'GET', 'admin/partners', token);
      expect(r.status).toBe(401);
      refused += 1;
    }
    console.log(`bad bearer credentials refused with 401: ${refused}/${Object.keys(cases).length + 2}`);
  });

  test('a revoked API key and the access tokens of a revoked client are 401', async () => {
    const created = await gw.admin('POST', 'admin/partners/alpha/credentials', { kind: 'api-key', scopes: ['system/Task.rs'] });
    const key = created.json.key as string;
    expect((await fhir(gw, 'GET', 'Task', key)).status).toBe(200);
    const token = (await requestToken(gw, await assertion(gw), 'system/Task.rs')).json.access_token as string;
    expect((await fhir(gw, 'GET', 'Task', token)).status).toBe(200);

    expect((await gw.admin('POST', `admin/credentials/${created.json.id as string}/revoke`)).status).toBe(200);
    expect((await gw.admin('POST', `admin/credentials/${gw.credentials.jwks}/revoke`)).status).toBe(200);
    const results = [
      (await fhir(gw, 'GET', 'Task', key)).status,
      (await fhir(gw, 'GET', 'Task', token)).status,
      (await requestToken(gw, await assertion(gw))).status,
    ];
    expect(results).toEqual([401, 401, 401]);
    console.log(`revoked credentials refused with 401: ${results.length}/3`);
  });
});

describe('scope escalation', () => {
  test('a read-only credential cannot write, search other types or write inside bundles: all 403', async () => {
    const created = await fhir(gw, 'POST', 'Task', gw.keys.alpha, task);
    expect(created.status).toBe(201);
    const id = created.json!.id as string;
    const ro = gw.keys.alphaReadOnly;
    const attempts: [string, string, unknown?][] = [
      ['POST', 'Task', task],
      ['PUT', `Task/${id}`, { ...task, id, status: 'cancelled' }],
      ['DELETE', `Task/${id}`],
      ['PUT', 'Task?identifier=x', task],
      ['GET', 'Observation'],
      ['GET', 'Observation/abc'],
      ['POST', 'Observation/_search'],
      ['GET', 'ServiceRequest/_history'],
      ['POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:9a1f6c43-7c65-4b8e-9f00-111111111111', resource: task, request: { method: 'POST', url: 'Task' } }] }],
    ];
    let forbidden = 0;
    for (const [method, path, body] of attempts) {
      const r = await fhir(gw, method, path, ro, body);
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(r.json?.resourceType).toBe('OperationOutcome');
      forbidden += 1;
    }
    // A batch answers per entry: each write entry is 403, the read entry succeeds.
    const batch = await fhir(gw, 'POST', '', ro, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: task, request: { method: 'POST', url: 'Task' } },
        { request: { method: 'DELETE', url: `Task/${id}` } },
        { request: { method: 'GET', url: `Task/${id}` } },
      ],
    });
    expect(batch.status).toBe(200);
    const statuses = (batch.json!.entry as { response: { status: string } }[]).map((e) => e.response.status.slice(0, 3));
    expect(statuses).toEqual(['403', '403', '200']);
    forbidden += 2;
    const after = await fhir(gw, 'GET', `Task/${id}`, gw.keys.alpha);
    expect(after.json!.status).toBe('requested');
    expect((after.json!.meta as { versionId: string }).versionId).toBe('1');
    // Chained searches reaching types outside the scopes, in the URL, a _search body or a batch.
    const taskOnly = gw.keys.alphaTaskOnly;
    const chains: [string, string, unknown?][] = [
      ['GET', 'Task?patient:Patient.name=x'],
      ['GET', 'Task?patient.name=x'],
      ['GET', 'Task?_has:Observation:subject:code=x'],
      ['POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Task?patient:Patient.birthdate=1970' } }] }],
    ];
    for (const [method, path, body] of chains) {
      const r = await fhir(gw, method, path, taskOnly, body);
      expect([method, path, r.status]).toEqual([method, path, 403]);
      forbidden += 1;
    }
    const form = await fetch(new URL('Task/_search', gw.base), { method: 'POST', headers: { authorization: `Bearer ${taskOnly}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'patient:Patient.name=x' });
    expect(form.status).toBe(403);
    forbidden += 1;
    console.log(`scope escalation attempts refused with 403: ${forbidden}/${attempts.length + 2 + chains.length + 1}`);
  });

  test('_include never releases resources of a type outside the scopes', async () => {
    const patient = await fhir(gw, 'POST', 'Patient', gw.keys.alpha, { resourceType: 'Patient' });
    await fhir(gw, 'POST', 'Task', gw.keys.alpha, { ...task, for: { reference: `Patient/${patient.json!.id as string}` } });
    const types = (r: { json?: Record<string, unknown> }) => ((r.json!.entry as { resource: { resourceType: string } }[]) ?? []).map((e) => e.resource.resourceType);
    const full = await fhir(gw, 'GET', 'Task?_include=Task:patient', gw.keys.alphaReadOnly);
    expect(types(full)).toContain('Patient');
    const narrow = await fhir(gw, 'GET', 'Task?_include=Task:patient', gw.keys.alphaTaskOnly);
    expect(narrow.status).toBe(200);
    expect(types(narrow)).toContain('Task');
    expect(types(narrow)).not.toContain('Patient');
    const batch = await fhir(gw, 'POST', '', gw.keys.alphaTaskOnly, { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Task?_include=Task:patient' } }] });
    expect(batch.text).not.toContain('"resourceType":"Patient"');
  });
});
