// A gateway with security on (no anonymous access), an admin token, and two partners in their
// own tenants: alpha (full key, read-only key, a SMART client with an ES384 key) and beta.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { GatewayConfig } from '../../src/config/config.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { startTestGateway, type StoreKind, type TestGateway } from '../support/gateway.ts';

export const ADMIN_TOKEN = `admin-${randomBytes(24).toString('hex')}`;
export const TOKEN_SECRET = randomBytes(32).toString('hex');
export const CLIENT_ID = 'alpha-client';

export interface SecureGateway extends TestGateway {
  keys: { alpha: string; alphaReadOnly: string; alphaTaskOnly: string; beta: string };
  credentials: { alpha: string; jwks: string };
  signingKey: CryptoKey;
  tokenUrl: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

export async function startSecureGateway(kind: StoreKind = 'sqlite', security: Partial<GatewayConfig['security']> = {}): Promise<SecureGateway> {
  const base = defaultConfig('.').security;
  const gateway = await startTestGateway(kind, {
    security: { ...base, allowAnonymous: false, adminToken: ADMIN_TOKEN, tokenSecret: TOKEN_SECRET, rateLimit: { requestsPerMinute: 60_000, burst: 10_000 }, ...security },
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, gateway.base), {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  for (const id of ['alpha', 'beta']) {
    const r = await admin('PUT', `admin/partners/${id}`, { name: `Partner ${id}`, organization: `Organization/${id}`, mapping: 'referral' });
    if (r.status !== 201) throw new Error(`partner ${id}: ${r.status}`);
  }
  const key = async (partner: string, scopes: string[]) => {
    const r = await admin('POST', `admin/partners/${partner}/credentials`, { kind: 'api-key', scopes });
    if (r.status !== 201) throw new Error(`key: ${r.status} ${JSON.stringify(r.json)}`);
    return { key: r.json.key as string, id: r.json.id as string };
  };
  const alpha = await key('alpha', ['system/*.cruds']);
  const alphaReadOnly = await key('alpha', ['system/Task.rs', 'system/Patient.rs']);
  const alphaTaskOnly = await key('alpha', ['system/Task.rs']);
  const beta = await key('beta', ['system/*.cruds']);
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
  const jwks = await admin('POST', 'admin/partners/alpha/credentials', { kind: 'jwks', clientId: CLIENT_ID, jwks: { keys: [jwk] }, scopes: ['system/*.cruds'] });
  if (jwks.status !== 201) throw new Error(`jwks: ${jwks.status} ${JSON.stringify(jwks.json)}`);
  return {
    ...gateway,
    keys: { alpha: alpha.key, alphaReadOnly: alphaReadOnly.key, alphaTaskOnly: alphaTaskOnly.key, beta: beta.key },
    credentials: { alpha: alpha.id, jwks: jwks.json.id as string },
    signingKey: privateKey,
    tokenUrl: new URL('token', gateway.base).href,
    admin,
  };
}

export interface AssertionParts {
  alg?: string;
  kid?: string;
  iss?: string;
  sub?: string;
  aud?: string;
  /** Seconds relative to now. */
  exp?: number;
  nbf?: number;
  jti?: string | null;
  key?: CryptoKey | Uint8Array;
}

export async function assertion(gw: SecureGateway, parts: AssertionParts = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: parts.alg ?? 'ES384', kid: parts.kid ?? 'k1', typ: 'JWT' })
    .setIssuer(parts.iss ?? CLIENT_ID)
    .setSubject(parts.sub ?? CLIENT_ID)
    .setAudience(parts.aud ?? gw.tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + (parts.exp ?? 240));
  if (parts.nbf !== undefined) jwt.setNotBefore(now + parts.nbf);
  if (parts.jti !== null) jwt.setJti(parts.jti ?? randomBytes(12).toString('hex'));
  return jwt.sign(parts.key ?? gw.signingKey);
}

export async function requestToken(gw: SecureGateway, clientAssertion: string, scope = 'system/*.cruds') {
  const response = await fetch(gw.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
      scope,
    }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export interface FhirAnswer {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
  headers: Headers;
}

export async function fhir(gw: TestGateway, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<FhirAnswer> {
  const response = await fetch(new URL(path, gw.base), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** base64url of a JSON value, for hand-built tokens. */
export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
