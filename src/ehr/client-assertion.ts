// The signed client assertion of SMART Backend Services (SMART App Launch 2.x
// backend-services.html#authenticating-to-the-token-endpoint, RFC 7523 §3).
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import type { SmartBackendAuth } from './config.ts';
import { ehrFailure } from './failures.ts';

/**
 * The assertion lives 4 minutes: within the 5 minutes SMART allows, with a minute to spare
 * for a server clock that runs behind ours.
 */
export const ASSERTION_LIFETIME_SECONDS = 240;

export type AssertionKey = CryptoKey;

/** Reads the PKCS#8 PEM; the key and its text never appear in errors. */
export async function importAssertionKey(auth: SmartBackendAuth): Promise<AssertionKey> {
  try {
    return await importPKCS8(auth.privateKeyPem, auth.alg);
  } catch {
    throw ehrFailure('token', { kind: 'key' });
  }
}

export async function buildClientAssertion(auth: SmartBackendAuth, key: AssertionKey, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: auth.alg, kid: auth.keyId, typ: 'JWT' })
    .setIssuer(auth.clientId)
    .setSubject(auth.clientId)
    .setAudience(auth.tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(key);
}
