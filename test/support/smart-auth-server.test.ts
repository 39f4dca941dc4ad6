// The local SMART Backend Services token endpoint: a good client assertion gets a token; each
// kind of bad assertion is refused as SMART backend-services.html and RFC 6749 §5.2 say.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload, UnsecuredJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceEhr, type ReferenceEhr } from './reference-ehr.ts';
import { startSmartAuthServer, type SmartAuthServer } from './smart-auth-server.ts';

const CLIENT = 'gateway-test';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let auth: SmartAuthServer;
let rsKey: CryptoKey;
let esKey: CryptoKey;
let strangerKey: CryptoKey;
let clientJwks: JSONWebKeySet;
let rs256Key: CryptoKey;

beforeAll(async () => {
  const rs = await generateKeyPair('RS384');
  const es = await generateKeyPair('ES384');
  rsKey = rs.privateKey;
  esKey = es.privateKey;
  strangerKey = (await generateKeyPair('ES384')).privateKey;
  rs256Key = (await generateKeyPair('RS256')).privateKey;
  clientJwks = {
    keys: [
      { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS384' },
      { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES384' },
    ],
  };
  auth = await startSmartAuthServer({
    clients: [{ clientId: CLIENT, scopes: ['system/*.read', 'system/Task.write'], jwks: clientJwks }],
  });
});
afterAll(async () => {
  await auth.close();
});

interface AssertionParts {
  alg?: string;
  kid?: string;
  key?: CryptoKey;
  claims?: JWTPayload;
  expiresIn?: number;
}

async function assertion(parts: AssertionParts = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const alg = parts.alg ?? 'ES384';
  return new SignJWT({ jti: randomUUID(), ...parts.claims })
    .setProtectedHeader({ alg, kid: parts.kid ?? (alg === 'RS384' ? 'rs-1' : 'es-1'), typ: 'JWT' })
    .setIssuer((parts.claims?.iss as string | undefined) ?? CLIENT)
    .setSubject((parts.claims?.sub as string | undefined) ?? CLIENT)
    .setAudience((parts.claims?.aud as string | undefined) ?? auth.tokenUrl)
    .setExpirationTime(now + (parts.expiresIn ?? 240))
    .sign(parts.key ?? (alg === 'RS384' ? rsKey : esKey));
}

async function requestToken(clientAssertion: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'system/*.read',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: clientAssertion,
    ...extra,
  });
  const res = await fetch(auth.tokenUrl, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('SMART token endpoint', () => {
  it('Issues a bearer token for a good ES384 or RS384 assertion', async () => {
    for (const alg of ['ES384', 'RS384']) {
      const { status, body } = await requestToken(await assertion({ alg }));
      expect(status).toBe(200);
      expect(body.token_type).toBe('bearer');
      expect(body.scope).toBe('system/*.read');
      expect(body.expires_in).toBeGreaterThanOrEqual(299);
      expect(body.expires_in).toBeLessThanOrEqual(300);
      expect(await auth.verifyAccessToken(String(body.access_token))).toBe(true);
    }
    expect(await auth.verifyAccessToken('not-a-token')).toBe(false);
  });

  const refusals: { name: string; make: () => Promise<string>; extra?: Record<string, string>; status: number; error: string }[] = [
    { name: 'alg HS256', make: () => new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'HS256', kid: 'es-1' }).setIssuer(CLIENT).setSubject(CLIENT).setAudience('x').setExpirationTime('2m').sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough')), status: 401, error: 'invalid_client' },
    { name: 'alg RS256', make: () => assertion({ alg: 'RS256', kid: 'rs-1', key: rs256Key }), status: 401, error: 'invalid_client' },
    { name: 'alg none', make: async () => new UnsecuredJWT({ jti: randomUUID() }).setIssuer(CLIENT).setSubject(CLIENT).setAudience(auth.tokenUrl).setExpirationTime('2m').encode(), status: 401, error: 'invalid_client' },
    { name: 'unknown kid', make: () => assertion({ kid: 'nobody' }), status: 401, error: 'invalid_client' },
    { name: 'key not registered', make: () => assertion({ key: strangerKey }), status: 401, error: 'invalid_client' },
    { name: 'iss differs from sub', make: () => assertion({ claims: { sub: 'someone-else' } }), status: 401, error: 'invalid_client' },
    { name: 'unknown client', make: () => assertion({ claims: { iss: 'stranger', sub: 'stranger' } }), status: 401, error: 'invalid_client' },
    { name: 'aud not the token URL', make: () => assertion({ claims: { aud: `${auth.tokenUrl}/` } }), status: 401, error: 'invalid_client' },
    { name: 'exp more than 5 minutes ahead', make: () => assertion({ expiresIn: 600 }), status: 401, error: 'invalid_client' },
    { name: 'expired', make: () => assertion({ expiresIn: -10 }), status: 401, error: 'invalid_client' },
    { name: 'not a JWT', make: async () => 'garbage', status: 401, error: 'invalid_client' },
    { name: 'wrong grant_type', make: () => assertion(), extra: { grant_type: 'password' }, status: 400, error: 'unsupported_grant_type' },
    { name: 'wrong assertion type', make: () => assertion(), extra: { client_assertion_type: 'urn:other' }, status: 400, error: 'invalid_request' },
    { name: 'scope not allowed', make: () => assertion(), extra: { scope: 'system/*.write' }, status: 400, error: 'invalid_scope' },
  ];

  for (const refusal of refusals) {
    it(`Refuses an assertion with ${refusal.name}: ${refusal.status} ${refusal.error}`, async () => {
      const { status, body } = await requestToken(await refusal.make(), refusal.extra);
      expect(status).toBe(refusal.status);
      expect(body).toEqual({ error: refusal.error });
    });
  }

  it('Refuses a replayed jti', async () => {
    const once = await assertion();
    expect((await requestToken(once)).status).toBe(200);
    const replay = await requestToken(once);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });

  it('Issues tokens that the reference EHR accepts, through verify or through the JWKS', async () => {
    const { body } = await requestToken(await assertion());
    const token = String(body.access_token);
    const viaVerify: ReferenceEhr = await startReferenceEhr({ auth: { verify: (t) => auth.verifyAccessToken(t) } });
    const viaJwks: ReferenceEhr = await startReferenceEhr({ auth: { jwksUrl: auth.jwksUrl, audience: auth.audience, issuer: auth.issuer } });
    try {
      for (const ehr of [viaVerify, viaJwks]) {
        const target = new URL('Patient', ehr.baseUrl);
        expect((await fetch(target, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        expect((await fetch(target, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      }
    } finally {
      await viaVerify.close();
      await viaJwks.close();
    }
  });

  it('Issued tokens expire after the configured lifetime', async () => {
    const shortLived = await startSmartAuthServer({ clients: [{ clientId: CLIENT, scopes: ['system/*.read'], jwks: clientJwks }], tokenLifetimeSeconds: 1 });
    try {
      const signed = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES384', kid: 'es-1', typ: 'JWT' })
        .setIssuer(CLIENT)
        .setSubject(CLIENT)
        .setAudience(shortLived.tokenUrl)
        .setExpirationTime('2m')
        .sign(esKey);
      const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.read', client_assertion_type: ASSERTION_TYPE, client_assertion: signed });
      const body = (await (await fetch(shortLived.tokenUrl, { method: 'POST', body: form })).json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBeLessThanOrEqual(1);
      expect(await shortLived.verifyAccessToken(body.access_token)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await shortLived.verifyAccessToken(body.access_token)).toBe(false);
    } finally {
      await shortLived.close();
    }
  });
});
