// Structured logs (pino) that never carry PHI: no bodies, no query strings, no identifiers,
// no tokens. Callers log shapes and counts; these helpers make the safe form the easy one.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';

export type { Logger };

/** Keys whose values are replaced wherever they appear in a log object. */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'token',
  'access_token',
  'client_assertion',
  'apiKey',
  'password',
  'secret',
  'privateKey',
  'body',
  'resource',
  'payload',
  'query',
  'adminToken',
  'tokenSecret',
  'assertion',
  'jwks',
];

/** Bearer tokens, JWTs and gateway API keys, wherever they appear inside a logged string. */
const SECRET_PATTERNS = [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, /\bgwk_[A-Za-z0-9_-]{8,}/g, /\bBearer\s+[\x21-\x7e]+/gi];

/** Value-level redaction layer: secrets embedded in any string field (messages included) are masked. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return SECRET_PATTERNS.reduce((text, pattern) => text.replace(pattern, '[redacted]'), value);
  }
  if (depth > 8 || value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskSecrets(item, depth + 1));
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    result[key] = maskSecrets(item, depth + 1);
  }
  return result;
}

export function createLogger(options: { level: LogLevel; destination?: DestinationStream; name?: string }): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level: options.level,
      name: options.name ?? 'gateway',
      base: undefined,
      redact: { paths, censor: '[redacted]' },
      serializers: { err: errorShape },
      formatters: { log: (object) => maskSecrets(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? (maskSecrets(arg) as string) : arg)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

/** The parts of an error that are safe to log: its class, code and stack frames, never its message. */
export function errorShape(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { type: typeof error };
  }
  const frames = (error.stack ?? '').split('\n').slice(1, 8).map((line) => line.trim());
  return { type: error.name, code: (error as { code?: unknown }).code, frames };
}

/** Words that may appear in a logged path; any other segment is shown as `:id`. */
const ROUTE_WORDS = new Set([
  'metadata', '_history', '_search', 'healthz', 'readyz', 'metrics', 'partners', 'referrals', 'updates',
  'admin', 'reports', 'console', 'openapi.json', 'token', 'subscriptions', 'notify', 'dead-letters',
  'replay', 'credentials', 'jwks', 'audit', 'webhooks', 'fhir', 'R4', 'validate', 'mappings',
]);

/** `/Patient/123/_history/2?name=x` -> `/Patient/:id/_history/:id`: the route, not the data. */
export function pathShape(url: string): string {
  const path = url.split('?')[0].split('#')[0];
  return path
    .split('/')
    .map((segment, index) => {
      const resourceType = index === 1 && /^[A-Z][A-Za-z]{1,63}$/.test(segment);
      if (segment === '' || resourceType || ROUTE_WORDS.has(segment) || /^\$[a-z][a-z-]{0,63}$/.test(segment)) {
        return segment;
      }
      return ':id';
    })
    .join('/');
}
