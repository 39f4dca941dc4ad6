// The shared secrets EHRs send with their subscription notifications: read once at start from
// the configured environment variable or file, kept only as a SHA-256 digest, compared in
// constant time, never logged and never put in an error text.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EhrConfig } from '../config/config.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { badRequest } from '../fhir/outcomes.ts';

/** Shorter shared secrets are refused at start. */
export const MIN_SECRET_LENGTH = 16;

export interface SubscriptionSecret {
  /** Lower-case request header name. */
  header: string;
  digest: Buffer;
}

/** Per EHR name, for the EHRs with a `subscription` block. */
export function subscriptionSecrets(ehrs: readonly EhrConfig[], env: NodeJS.ProcessEnv = process.env): Map<string, SubscriptionSecret> {
  const secrets = new Map<string, SubscriptionSecret>();
  for (const ehr of ehrs) {
    const settings = ehr.subscription;
    if (!settings) {
      continue;
    }
    const field = `ehrs.subscription`;
    let secret: string | undefined;
    if (settings.secretFile) {
      try {
        secret = readFileSync(settings.secretFile, 'utf8').trim();
      } catch {
        throw new OperationOutcomeError(badRequest(`The subscription secret file of EHR ${ehr.name} cannot be read`, `${field}.secretFile`));
      }
    } else if (settings.secretEnv) {
      secret = env[settings.secretEnv]?.trim();
    }
    if (!secret) {
      throw new OperationOutcomeError(badRequest(`No subscription secret for EHR ${ehr.name}: set secretEnv or secretFile`, field));
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new OperationOutcomeError(badRequest(`The subscription secret of EHR ${ehr.name} must have at least ${MIN_SECRET_LENGTH} characters`, field));
    }
    secrets.set(ehr.name, { header: settings.header.toLowerCase(), digest: digestOf(secret) });
  }
  return secrets;
}

/** Constant-time check of a presented header value against the secret's digest. */
export function presentedSecretMatches(expected: SubscriptionSecret | undefined, presented: string | string[] | undefined): boolean {
  // Digest something even when there is nothing to compare, so that timing says nothing either.
  const candidate = digestOf(typeof presented === 'string' ? presented : '');
  const reference = expected?.digest ?? digestOf('\u0000');
  const same = timingSafeEqual(candidate, reference);
  return expected !== undefined && typeof presented === 'string' && presented.length > 0 && same;
}

function digestOf(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
