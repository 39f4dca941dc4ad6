// SMART Backend Services client authentication (SMART App Launch 2.x backend-services.html
// "Authenticating with the token endpoint"; RFC 7523 section 3): a JWT signed with one of the
// client's registered keys, alg RS384 or ES384, iss = sub = client_id, aud = the exact token
// URL, exp at most five minutes ahead, a jti never seen before (checked through the store, so
// the rule holds across replicas).
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Credential, Store } from '../store/store.ts';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ALLOWED_ALGORITHMS = ['RS384', 'ES384'];
/** Clock skew tolerated on exp, nbf and iat. */
export const LEEWAY_SECONDS = 30;
const MAX_LIFETIME_SECONDS = 300;

/** Why an assertion was refused; safe to log (never the assertion itself). */
export class AssertionRejected extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'AssertionRejected';
    this.reason = reason;
  }
}

export interface VerifiedClient {
  clientId: string;
  credential: Credential;
}

export interface AssertionOptions {
  store: Store;
  tokenUrl: string;
  now?: () => number;
}

export async function verifyClientAssertion(assertion: string, options: AssertionOptions): Promise<VerifiedClient> {
  const nowMs = options.now?.() ?? Date.now();
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw new AssertionRejected('malformed assertion');
  }
  if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
    throw new AssertionRejected('algorithm not allowed');
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new AssertionRejected('kid missing');
  }
  const clientId = claims.iss;
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > 128) {
    throw new AssertionRejected('iss missing');
  }
  const credential = (await options.store.findCredentials(clientId)).find(
    (c) => c.kind === 'jwks' && c.lookup === clientId && !c.revokedAt && !(c.expiresAt && Date.parse(c.expiresAt) <= nowMs),
  );
  if (!credential) {
    throw new AssertionRejected('unknown, revoked or expired client');
  }
  const jwks = JSON.parse(credential.secretHash) as JSONWebKeySet;
  if (!jwks.keys.some((k) => k.kid === header.kid)) {
    throw new AssertionRejected('unknown kid');
  }
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      algorithms: ALLOWED_ALGORITHMS,
      issuer: clientId,
      subject: clientId,
      audience: options.tokenUrl,
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(nowMs),
    }));
  } catch (error) {
    throw new AssertionRejected(`assertion not valid (${(error as { code?: string }).code ?? 'verification failed'})`);
  }
  const exp = payload.exp as number;
  if (exp * 1000 - nowMs > (MAX_LIFETIME_SECONDS + LEEWAY_SECONDS) * 1000) {
    throw new AssertionRejected('exp more than five minutes ahead');
  }
  const jti = payload.jti as string;
  if (jti.length > 256) {
    throw new AssertionRejected('jti too long');
  }
  // Replay cache: a lease named after the jti, held by a fresh holder until the assertion
  // expires; a second use finds it held and is refused, on any replica sharing the store.
  const ttl = exp * 1000 - nowMs + LEEWAY_SECONDS * 1000;
  const lease = await options.store.acquireLease(`jti|${clientId}|${jti}`, randomUUID(), Math.max(ttl, 1000));
  if (!lease) {
    throw new AssertionRejected('jti already used');
  }
  return { clientId, credential };
}
