// Partner API keys: `gwk_<lookup>_<secret>`, 192 random bits of secret. Only a SHA-256 hash is
// stored (the key is random, so a slow hash adds nothing); comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = /^gwk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{32})$/;

export interface NewApiKey {
  /** Shown once to the operator, never stored. */
  key: string;
  lookup: string;
  secretHash: string;
}

export function newApiKey(): NewApiKey {
  const lookup = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
  const key = `gwk_${lookup}_${randomBytes(24).toString('base64url')}`;
  return { key, lookup, secretHash: hashSecret(key) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The lookup part of a well-formed key, or undefined. */
export function apiKeyLookup(key: string): string | undefined {
  return KEY.exec(key)?.[1];
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('gwk_');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
