// Per-EHR connection settings: raw input merged over defaults, checked once, every problem
// reported together as one OperationOutcome.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { issue, outcome } from '../fhir/outcomes.ts';

/** SMART App Launch 2.x backend-services.html: client_credentials with a signed client assertion. */
export interface SmartBackendAuth {
  kind: 'smart-backend';
  tokenUrl: string;
  clientId: string;
  keyId: string;
  alg: 'RS384' | 'ES384';
  /** PKCS#8 PEM, read by the caller from a file or the environment. Never logged. */
  privateKeyPem: string;
  /** Space-separated scopes, e.g. `system/Task.rs system/Task.cu`. */
  scope: string;
}

export type EhrAuth = { kind: 'none' } | SmartBackendAuth;

export interface EhrConfig {
  /** The FHIR base URL, ending in `/`. */
  baseUrl: string;
  auth: EhrAuth;
  /** Time allowed for one HTTP attempt, headers and body together. */
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After longer than this fails the call instead of waiting. */
  maxRetryAfterMs: number;
  maxResponseBytes: number;
  /** Upper bound on pages followed by one search. */
  maxPages: number;
  /** Renew a token this long before it expires (at most a quarter of its lifetime). */
  tokenRenewBeforeMs: number;
}

export type EhrConfigInput = Pick<EhrConfig, 'baseUrl' | 'auth'> & Partial<Omit<EhrConfig, 'baseUrl' | 'auth'>>;

export const ehrConfigDefaults = {
  timeoutMs: 15_000,
  maxAttempts: 5,
  backoffBaseMs: 250,
  backoffMaxMs: 30_000,
  maxRetryAfterMs: 120_000,
  maxResponseBytes: 20 * 1024 * 1024,
  maxPages: 1_000,
  tokenRenewBeforeMs: 30_000,
} satisfies Omit<EhrConfig, 'baseUrl' | 'auth'>;

const POSITIVE_FIELDS = ['timeoutMs', 'maxAttempts', 'backoffBaseMs', 'backoffMaxMs', 'maxRetryAfterMs', 'maxResponseBytes', 'maxPages'] as const;

/** Merges `input` over the defaults and checks it; throws one OperationOutcomeError listing every problem. */
export function ehrConfig(input: EhrConfigInput): EhrConfig {
  const config: EhrConfig = { ...ehrConfigDefaults, ...input };
  const issues: OperationOutcomeIssue[] = [];
  const problem = (text: string, field: string): void => {
    issues.push(issue('error', 'invalid', text, field));
  };
  const baseUrl = parseHttpUrl(config.baseUrl);
  if (!baseUrl) {
    problem('EHR base URL must be an absolute http(s) URL', 'baseUrl');
  } else if (!baseUrl.pathname.endsWith('/') || baseUrl.search || baseUrl.hash) {
    problem('EHR base URL must end with / and carry no query or fragment', 'baseUrl');
  }
  for (const field of POSITIVE_FIELDS) {
    if (!Number.isFinite(config[field]) || config[field] <= 0) {
      problem(`${field} must be a positive number`, field);
    }
  }
  if (!Number.isFinite(config.tokenRenewBeforeMs) || config.tokenRenewBeforeMs < 0) {
    problem('tokenRenewBeforeMs must not be negative', 'tokenRenewBeforeMs');
  }
  if (config.auth.kind === 'smart-backend') {
    const auth = config.auth;
    if (!parseHttpUrl(auth.tokenUrl)) {
      problem('Token URL must be an absolute http(s) URL', 'auth.tokenUrl');
    }
    for (const field of ['clientId', 'keyId', 'scope', 'privateKeyPem'] as const) {
      if (typeof auth[field] !== 'string' || auth[field].trim() === '') {
        problem(`${field} is required for SMART Backend Services`, `auth.${field}`);
      }
    }
    if (auth.alg !== 'RS384' && auth.alg !== 'ES384') {
      problem('alg must be RS384 or ES384', 'auth.alg');
    }
  } else if (config.auth.kind !== 'none') {
    problem('auth.kind must be none or smart-backend', 'auth.kind');
  }
  if (issues.length > 0) {
    throw new OperationOutcomeError(outcome('bad-request', issues));
  }
  return config;
}

function parseHttpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    return undefined;
  }
  const url = new URL(value);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

