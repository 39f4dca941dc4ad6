// The gateway's typed configuration. One loader (load.ts) builds it from an optional
// YAML file plus environment variables and validates it against `configSchema`.
import type { JSONSchemaType } from 'ajv';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface EhrAuthNone {
  kind: 'none';
}

export interface EhrAuthSmart {
  kind: 'smart-backend';
  tokenUrl: string;
  clientId: string;
  keyId: string;
  alg: 'RS384' | 'ES384';
  /** File holding the PEM private key; or `privateKeyEnv`, the variable holding it. */
  privateKeyFile?: string;
  privateKeyEnv?: string;
  scope: string;
}

export interface EhrConfig {
  name: string;
  baseUrl: string;
  auth: EhrAuthNone | EhrAuthSmart;
  /** Organizations (references like `Organization/food-bank`) whose referrals this EHR routes. */
  organizations: string[];
  /** node-cron expression; the default polls every 15 minutes on weekdays, 7-19 h. */
  pollSchedule: string;
  timeoutMs: number;
  /** node-cron expression of the reconciliation job (open referrals compared with the EHR); default weekdays 06:30. */
  reconcileSchedule?: string;
  /** FHIR Subscriptions (R4 backport) rest-hook notifications from this EHR; absent = polling only. */
  subscription?: EhrSubscriptionConfig;
}

/** Rest-hook notifications at `POST /subscriptions/{ehr}/notify` (HL7 Subscriptions R5 Backport IG for R4). */
export interface EhrSubscriptionConfig {
  /** Variable holding the shared secret the EHR sends in `header`; or `secretFile`, a file holding it. */
  secretEnv?: string;
  secretFile?: string;
  /** Request header carrying the shared secret (the Subscription's channel.header). */
  header: string;
  /** Longest quiet time (no notification, no heartbeat) before polling takes over again. */
  heartbeatSeconds: number;
  /** What the EHR sends: focus references only (each read back from the EHR) or the resources themselves. */
  payload: 'id-only' | 'full-resource';
}

/** Credentials, limits and outbound URL rules (docs/security.md). */
export interface SecurityConfig {
  /**
   * Requests without credentials act in tenant `default` with every scope. Absent: allowed in
   * demo mode only.
   */
  allowAnonymous?: boolean;
  /** SHA-256 (hex) of the admin bearer token; or `adminTokenFile` (a file holding the token), or env GATEWAY_ADMIN_TOKEN. */
  adminTokenHash?: string;
  adminTokenFile?: string;
  /** The admin token itself (from GATEWAY_ADMIN_TOKEN); hashed at start, never logged. */
  adminToken?: string;
  /** HMAC secret for the gateway's access tokens, shared by replicas (env GATEWAY_TOKEN_SECRET); random per process when absent. */
  tokenSecret?: string;
  /** Lifetime of access tokens issued by the gateway's token endpoint. */
  tokenLifetimeSeconds: number;
  /** Per partner, per process: a token bucket of `burst` requests refilled at `requestsPerMinute`. */
  rateLimit: { requestsPerMinute: number; burst: number };
  /** Hosts or CIDR ranges webhook and EHR URLs may use even when private or loopback. */
  urlAllowList: string[];
}

/** The outbox worker that delivers changes to EHRs and partner webhooks (RELIABILITY.md, durable outbox). */
export interface OutboxConfig {
  /** Attempts per item before it goes to the dead-letter list. */
  maxAttempts: number;
  /** Backoff before the second attempt; doubles per attempt, with jitter, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Items claimed per round. */
  batchSize: number;
  /** How long a claimed item stays with its worker before another may take it (a crashed worker's items come back after it). */
  claimLeaseMs: number;
}

/** Outbox defaults: 12 attempts over about an hour and a half (2 s doubling, capped at 15 minutes). */
export const OUTBOX_DEFAULTS: OutboxConfig = { maxAttempts: 12, backoffBaseMs: 2_000, backoffMaxMs: 15 * 60_000, batchSize: 32, claimLeaseMs: 120_000 };

export interface GatewayConfig {
  port: number;
  host: string;
  /** The base URL clients use to reach the gateway; derived from host and port when absent. */
  publicBaseUrl?: string;
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema holding the gateway's tables (default: the connection's search path). */
  databaseSchema?: string;
  fhirPackagesDir: string;
  profilesDir: string;
  mappingsDir: string;
  logLevel: LogLevel;
  limits: {
    /** Largest request body accepted, in bytes (after decompression). */
    bodyBytes: number;
    /** Deepest JSON nesting accepted. */
    jsonDepth: number;
  };
  /** Demo mode starts the bundled reference EHR and seeds it; `auto` = when no EHR is configured. */
  demo: 'auto' | 'on' | 'off';
  ehrs: EhrConfig[];
  security: SecurityConfig;
  outbox: OutboxConfig;
}

const ehrAuthSchema = {
  type: 'object',
  oneOf: [
    {
      type: 'object',
      properties: { kind: { type: 'string', const: 'none' } },
      required: ['kind'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        kind: { type: 'string', const: 'smart-backend' },
        tokenUrl: { type: 'string', format: 'uri' },
        clientId: { type: 'string', minLength: 1 },
        keyId: { type: 'string', minLength: 1 },
        alg: { type: 'string', enum: ['RS384', 'ES384'] },
        privateKeyFile: { type: 'string', minLength: 1, nullable: true },
        privateKeyEnv: { type: 'string', minLength: 1, nullable: true },
        scope: { type: 'string', minLength: 1 },
      },
      required: ['kind', 'tokenUrl', 'clientId', 'keyId', 'alg', 'scope'],
      additionalProperties: false,
    },
  ],
  required: ['kind'],
} as const;

export const configSchema: JSONSchemaType<GatewayConfig> = {
  type: 'object',
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    host: { type: 'string', minLength: 1 },
    publicBaseUrl: { type: 'string', format: 'uri', nullable: true },
    dataDir: { type: 'string', minLength: 1 },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://', nullable: true },
    databaseSchema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$', nullable: true },
    fhirPackagesDir: { type: 'string', minLength: 1 },
    profilesDir: { type: 'string', minLength: 1 },
    mappingsDir: { type: 'string', minLength: 1 },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    limits: {
      type: 'object',
      properties: {
        bodyBytes: { type: 'integer', minimum: 1024, maximum: 1073741824 },
        jsonDepth: { type: 'integer', minimum: 8, maximum: 1000 },
      },
      required: ['bodyBytes', 'jsonDepth'],
      additionalProperties: false,
    },
    demo: { type: 'string', enum: ['auto', 'on', 'off'] },
    ehrs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          baseUrl: { type: 'string', format: 'uri' },
          // The discriminated union is checked by oneOf; ajv's JSONSchemaType cannot express it.
          auth: ehrAuthSchema as unknown as JSONSchemaType<EhrAuthNone | EhrAuthSmart>,
          organizations: { type: 'array', items: { type: 'string', pattern: '^Organization/[A-Za-z0-9\\-.]{1,64}$' } },
          pollSchedule: { type: 'string', minLength: 9 },
          timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
          reconcileSchedule: { type: 'string', minLength: 9, nullable: true },
          subscription: {
            type: 'object',
            properties: {
              secretEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$', nullable: true },
              secretFile: { type: 'string', minLength: 1, nullable: true },
              header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
              heartbeatSeconds: { type: 'integer', minimum: 1, maximum: 604800 },
              payload: { type: 'string', enum: ['id-only', 'full-resource'] },
            },
            required: ['header', 'heartbeatSeconds', 'payload'],
            additionalProperties: false,
            nullable: true,
          },
        },
        required: ['name', 'baseUrl', 'auth', 'organizations', 'pollSchedule', 'timeoutMs'],
        additionalProperties: false,
      },
    },
    security: {
      type: 'object',
      properties: {
        allowAnonymous: { type: 'boolean', nullable: true },
        adminTokenHash: { type: 'string', pattern: '^[0-9a-f]{64}$', nullable: true },
        adminTokenFile: { type: 'string', minLength: 1, nullable: true },
        adminToken: { type: 'string', minLength: 24, nullable: true },
        tokenSecret: { type: 'string', minLength: 32, nullable: true },
        tokenLifetimeSeconds: { type: 'integer', minimum: 30, maximum: 3600 },
        rateLimit: {
          type: 'object',
          properties: {
            requestsPerMinute: { type: 'integer', minimum: 1, maximum: 1000000 },
            burst: { type: 'integer', minimum: 1, maximum: 1000000 },
          },
          required: ['requestsPerMinute', 'burst'],
          additionalProperties: false,
        },
        urlAllowList: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
      required: ['tokenLifetimeSeconds', 'rateLimit', 'urlAllowList'],
      additionalProperties: false,
    },
    outbox: {
      type: 'object',
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 1000 },
        backoffBaseMs: { type: 'integer', minimum: 1, maximum: 3600000 },
        backoffMaxMs: { type: 'integer', minimum: 1, maximum: 86400000 },
        batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
        claimLeaseMs: { type: 'integer', minimum: 1000, maximum: 86400000 },
      },
      required: ['maxAttempts', 'backoffBaseMs', 'backoffMaxMs', 'batchSize', 'claimLeaseMs'],
      additionalProperties: false,
    },
  },
  required: ['port', 'host', 'dataDir', 'fhirPackagesDir', 'profilesDir', 'mappingsDir', 'logLevel', 'limits', 'demo', 'ehrs', 'security', 'outbox'],
  additionalProperties: false,
};
