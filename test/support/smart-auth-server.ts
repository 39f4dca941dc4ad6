// A local SMART Backend Services authorization server for tests and the demo
// (SMART App Launch 2.x, backend-services.html; RFC 7523 private_key_jwt client assertions).
// POST /token accepts client_credentials with a signed client assertion and issues short-lived
// bearer tokens (signed JWTs) that the reference EHR can check through `verifyAccessToken`
// or through the published JWKS at GET /jwks.
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SmartClient {
  clientId: string;
  /** The client's public keys; each needs a `kid`. */
  jwks: JSONWebKeySet;
  /** Scopes this client may be granted, e.g. `system/*.read`. */
  scopes: string[];
}

export interface SmartAuthServerOptions {
  clients: SmartClient[];
  /** Lifetime of issued access tokens; SMART suggests about 300 s. */
  tokenLifetimeSeconds?: number;
  /** `aud` of the issued access tokens. */
  audience?: string;
  port?: number;
}

export interface TokenServerEvent {
  at: number;
  clientId?: string;
  /** `issued`, or the OAuth error code returned. */
  result: 'issued' | OAuthErrorCode;
  /** Why a request was refused (never the assertion itself). */
  reason?: string;
}

export interface SmartAuthServer {
  /** The exact URL client assertions must name as `aud`. */
  tokenUrl: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** True when `token` is an unexpired access token issued by this server. */
  verifyAccessToken(token: string): Promise<boolean>;
  events: TokenServerEvent[];
  close(): Promise<void>;
}

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ALLOWED_ALGS = ['RS384', 'ES384'];
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const MAX_FORM_BYTES = 64 * 1024;

class OAuthError extends Error {
  readonly status: number;
  readonly code: OAuthErrorCode;
  constructor(status: number, code: OAuthErrorCode, reason: string) {
    super(reason);
    this.status = status;
    this.code = code;
  }
}

export async function startSmartAuthServer(options: SmartAuthServerOptions): Promise<SmartAuthServer> {
  const lifetime = options.tokenLifetimeSeconds ?? 300;
  const audience = options.audience ?? 'reference-ehr';
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const signing = await generateKeyPair('ES256');
  const signingKid = `auth-${randomUUID()}`;
  const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), kid: signingKid, alg: 'ES256', use: 'sig' };
  const seenJti = new Map<string, number>();
  const events: TokenServerEvent[] = [];
  let tokenUrl = '';
  let issuer = '';

  async function checkAssertion(form: URLSearchParams): Promise<{ client: SmartClient; scope: string }> {
    // SMART backend-services.html#request: client_credentials with a JWT client assertion.
    if (form.get('grant_type') !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
      throw new OAuthError(400, 'invalid_request', 'client_assertion_type must be jwt-bearer');
    }
    const assertion = form.get('client_assertion');
    if (!assertion) {
      throw new OAuthError(400, 'invalid_request', 'client_assertion missing');
    }
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (requested.length === 0) {
      throw new OAuthError(400, 'invalid_request', 'scope missing');
    }
    // SMART backend-services.html#signature-verification: any failure is invalid_client (401).
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthError(401, 'invalid_client', 'assertion is not a JWT');
    }
    if (!header.alg || !ALLOWED_ALGS.includes(header.alg)) {
      throw new OAuthError(401, 'invalid_client', 'alg not allowed');
    }
    const client = typeof claims.iss === 'string' ? clients.get(claims.iss) : undefined;
    if (!client || claims.sub !== claims.iss) {
      throw new OAuthError(401, 'invalid_client', 'unknown client or iss differs from sub');
    }
    const formClientId = form.get('client_id');
    if (formClientId !== null && formClientId !== client.clientId) {
      throw new OAuthError(401, 'invalid_client', 'client_id differs from assertion');
    }
    const jwk = client.jwks.keys.find((k) => k.kid !== undefined && k.kid === header.kid);
    if (!jwk) {
      throw new OAuthError(401, 'invalid_client', 'kid unknown');
    }
    try {
      const key = await importJWK(jwk, header.alg);
      await jwtVerify(assertion, key, {
        algorithms: [header.alg],
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
      });
    } catch {
      throw new OAuthError(401, 'invalid_client', 'signature or claims invalid');
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = claims.exp as number;
    if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError(401, 'invalid_client', 'exp more than 5 minutes ahead');
    }
    for (const [key, until] of seenJti) {
      if (until < now) {
        seenJti.delete(key);
      }
    }
    const jtiKey = `${client.clientId} ${String(claims.jti)}`;
    if (seenJti.has(jtiKey)) {
      throw new OAuthError(401, 'invalid_client', 'jti replayed');
    }
    seenJti.set(jtiKey, exp);
    const granted = requested.filter((s) => client.scopes.includes(s));
    if (granted.length === 0) {
      throw new OAuthError(400, 'invalid_scope', 'no requested scope is allowed');
    }
    return { client, scope: granted.join(' ') };
  }

  async function issue(client: SmartClient, scope: string): Promise<Record<string, unknown>> {
    const now = Date.now() / 1000;
    const exp = Math.floor(now) + lifetime;
    const token = await new SignJWT({ scope, client_id: client.clientId })
      .setProtectedHeader({ alg: 'ES256', kid: signingKid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(client.clientId)
      .setAudience(audience)
      .setIssuedAt(Math.floor(now))
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(signing.privateKey);
    // Whole seconds left, rounded down, so a client never trusts a token past its exp.
    return { access_token: token, token_type: 'bearer', expires_in: Math.floor(exp - now), scope };
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let clientId: string | undefined;
    try {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new OAuthError(400, 'invalid_request', 'form body expected');
      }
      const form = new URLSearchParams(await readText(req));
      const { client, scope } = await checkAssertion(form);
      clientId = client.clientId;
      const body = await issue(client, scope);
      events.push({ at: Date.now(), clientId, result: 'issued' });
      sendJson(res, 200, body);
    } catch (error) {
      const failure = error instanceof OAuthError ? error : new OAuthError(400, 'invalid_request', 'unreadable request');
      events.push({ at: Date.now(), clientId, result: failure.code, reason: failure.message });
      // RFC 6749 §5.2: error response; no details that would help an attacker.
      sendJson(res, failure.status, { error: failure.code });
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'POST' && path === '/token') {
      void handleToken(req, res);
    } else if (req.method === 'GET' && path === '/jwks') {
      sendJson(res, 200, { keys: [publicJwk] });
    } else {
      req.resume();
      sendJson(res, 404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokenUrl = new URL('/token', origin).href;
  issuer = origin;

  return {
    tokenUrl,
    jwksUrl: new URL('/jwks', origin).href,
    issuer,
    audience,
    events,
    async verifyAccessToken(token: string): Promise<boolean> {
      try {
        await jwtVerify(token, signing.publicKey, { issuer, audience, algorithms: ['ES256'] });
        return true;
      } catch {
        return false;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // RFC 6749 §5.1: token responses must not be cached.
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
  res.end(JSON.stringify(body));
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new OAuthError(400, 'invalid_request', 'form too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
