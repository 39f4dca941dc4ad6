// Deterministic resource ids: a name-based UUID (RFC 9562 section 5.5, version 5, SHA-1)
// over `mapping|partner|record id parts|resource role`, so mapping the same partner record
// twice yields the same ids and a repeated sync updates instead of duplicating.
// FHIR R4 datatypes.html#id allows 64 characters of [A-Za-z0-9\-.]; a UUID fits.
import { hash } from 'node:crypto';

/** Namespace UUID of the gateway's mapping ids (fixed, random once). */
const NAMESPACE = Buffer.from('6f1c2d9a4b7e4c1f8a3d5e6b7c8d9e0f', 'hex');

export function deterministicId(parts: readonly string[]): string {
  const digest = hash('sha1', Buffer.concat([NAMESPACE, Buffer.from(parts.join('|'), 'utf8')]), 'buffer');
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
