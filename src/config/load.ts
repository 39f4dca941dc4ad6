// One loader: defaults <- optional YAML file <- environment variables, validated with ajv.
// A bad value stops start-up with one message naming the field and where it came from.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { OperationOutcomeError, badRequest } from '../fhir/index.ts';
import { configSchema, OUTBOX_DEFAULTS, type EhrConfig, type GatewayConfig } from './config.ts';

export const DEFAULT_CONFIG_FILE = 'gateway.config.yaml';
/** FHIR SDOHCC: poll no more often than every 15 minutes; here on weekdays during business hours. */
export const DEFAULT_POLL_SCHEDULE = '*/15 7-19 * * 1-5';

/** Environment variables and the config field each one sets. */
export const ENVIRONMENT: Record<string, { field: string; type: 'string' | 'integer' | 'boolean' }> = {
  PORT: { field: 'port', type: 'integer' },
  HOST: { field: 'host', type: 'string' },
  GATEWAY_BASE_URL: { field: 'publicBaseUrl', type: 'string' },
  GATEWAY_DATA_DIR: { field: 'dataDir', type: 'string' },
  DATABASE_URL: { field: 'databaseUrl', type: 'string' },
  GATEWAY_DB_SCHEMA: { field: 'databaseSchema', type: 'string' },
  FHIR_PACKAGES_DIR: { field: 'fhirPackagesDir', type: 'string' },
  GATEWAY_PROFILES_DIR: { field: 'profilesDir', type: 'string' },
  GATEWAY_MAPPINGS_DIR: { field: 'mappingsDir', type: 'string' },
  LOG_LEVEL: { field: 'logLevel', type: 'string' },
  GATEWAY_BODY_LIMIT: { field: 'limits.bodyBytes', type: 'integer' },
  GATEWAY_JSON_DEPTH: { field: 'limits.jsonDepth', type: 'integer' },
  GATEWAY_DEMO: { field: 'demo', type: 'string' },
  GATEWAY_ALLOW_ANONYMOUS: { field: 'security.allowAnonymous', type: 'boolean' },
  GATEWAY_ADMIN_TOKEN: { field: 'security.adminToken', type: 'string' },
  GATEWAY_ADMIN_TOKEN_FILE: { field: 'security.adminTokenFile', type: 'string' },
  GATEWAY_TOKEN_SECRET: { field: 'security.tokenSecret', type: 'string' },
  GATEWAY_OUTBOX_MAX_ATTEMPTS: { field: 'outbox.maxAttempts', type: 'integer' },
  GATEWAY_OUTBOX_BACKOFF_BASE_MS: { field: 'outbox.backoffBaseMs', type: 'integer' },
  GATEWAY_OUTBOX_BACKOFF_MAX_MS: { field: 'outbox.backoffMaxMs', type: 'integer' },
  GATEWAY_OUTBOX_BATCH_SIZE: { field: 'outbox.batchSize', type: 'integer' },
  GATEWAY_OUTBOX_CLAIM_LEASE_MS: { field: 'outbox.claimLeaseMs', type: 'integer' },
};

/** The profiles and mappings shipped with the gateway, wherever it is started from. */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHIPPED_PROFILES = path.join(PROJECT_ROOT, 'profiles');
export const SHIPPED_MAPPINGS = path.join(PROJECT_ROOT, 'mappings');

export function defaultConfig(cwd: string): GatewayConfig {
  return {
    port: 8080,
    host: '127.0.0.1',
    dataDir: path.resolve(cwd, 'data'),
    fhirPackagesDir: path.join(os.homedir(), '.fhir', 'packages'),
    profilesDir: SHIPPED_PROFILES,
    mappingsDir: SHIPPED_MAPPINGS,
    logLevel: 'info',
    limits: { bodyBytes: 5 * 1024 * 1024, jsonDepth: 100 },
    demo: 'auto',
    ehrs: [],
    security: { tokenLifetimeSeconds: 300, rateLimit: { requestsPerMinute: 600, burst: 100 }, urlAllowList: [] },
    outbox: { ...OUTBOX_DEFAULTS },
  };
}

export interface LoadOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Explicit config file; otherwise GATEWAY_CONFIG, otherwise ./gateway.config.yaml if present. */
  file?: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: false, strict: true }));
const validateConfig = ajv.compile(configSchema);

export function loadConfig(options: LoadOptions = {}): GatewayConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const sources = new Map<string, string>();
  const config = defaultConfig(cwd) as unknown as Record<string, unknown>;

  const file = options.file ?? env.GATEWAY_CONFIG ?? (existsSync(path.resolve(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined);
  if (file) {
    const filePath = path.resolve(cwd, file);
    const fromFile = readConfigFile(filePath);
    for (const [key, value] of Object.entries(fromFile)) {
      config[key] = (key === 'limits' || key === 'security' || key === 'outbox') && isObject(value) ? { ...(config[key] as object), ...value } : value;
      sources.set(key, path.basename(filePath));
    }
  }

  for (const [name, { field, type }] of Object.entries(ENVIRONMENT)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      continue;
    }
    setField(config, field, type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : type === 'boolean' && /^(true|false)$/.test(raw) ? raw === 'true' : raw);
    sources.set(field, `environment variable ${name}`);
  }

  for (const key of ['dataDir', 'fhirPackagesDir', 'profilesDir', 'mappingsDir'] as const) {
    if (typeof config[key] === 'string') {
      config[key] = path.resolve(cwd, expandHome(config[key] as string));
    }
  }
  if (Array.isArray(config.ehrs)) {
    config.ehrs = config.ehrs.map((ehr) => (isObject(ehr) ? withEhrDefaults(ehr) : ehr));
  }

  if (!validateConfig(config)) {
    throw new OperationOutcomeError(badRequest(describe(validateConfig.errors?.[0], sources), fieldOf(validateConfig.errors?.[0])));
  }
  if (config.outbox.backoffMaxMs < config.outbox.backoffBaseMs) {
    const source = sources.get('outbox.backoffMaxMs') ?? sources.get('outbox');
    throw new OperationOutcomeError(badRequest(`Invalid configuration: outbox.backoffMaxMs must not be below outbox.backoffBaseMs${source ? ` (from ${source})` : ''}`, 'outbox.backoffMaxMs'));
  }
  return config;
}

function readConfigFile(filePath: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(filePath, 'utf8'));
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'file not found' : 'not valid YAML';
    throw new OperationOutcomeError(badRequest(`Invalid configuration: ${path.basename(filePath)}: ${reason}`));
  }
  if (parsed === null || parsed === undefined) {
    return {};
  }
  if (!isObject(parsed)) {
    throw new OperationOutcomeError(badRequest(`Invalid configuration: ${path.basename(filePath)} must hold a mapping of settings`));
  }
  return parsed;
}

function withEhrDefaults(ehr: Record<string, unknown>): Partial<EhrConfig> {
  const withDefaults: Partial<EhrConfig> = { auth: { kind: 'none' }, organizations: [], pollSchedule: DEFAULT_POLL_SCHEDULE, timeoutMs: 10_000, ...ehr };
  return isObject(ehr.subscription) ? { ...withDefaults, subscription: { ...SUBSCRIPTION_DEFAULTS, ...ehr.subscription } } : withDefaults;
}

/** Subscription settings left out of an EHR's `subscription` block. */
export const SUBSCRIPTION_DEFAULTS = { header: 'X-Subscription-Secret', heartbeatSeconds: 300, payload: 'id-only' } as const;

function fieldOf(error: ErrorObject | undefined): string {
  if (!error) {
    return '(root)';
  }
  const base = error.instancePath.slice(1).replaceAll('/', '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  const extra = (error.params as { additionalProperty?: string; missingProperty?: string });
  const child = extra.additionalProperty ?? extra.missingProperty;
  return [base, child].filter(Boolean).join('.') || '(root)';
}

function describe(error: ErrorObject | undefined, sources: Map<string, string>): string {
  const field = fieldOf(error);
  const top = field.split(/[.[]/)[0];
  const source = sources.get(field) ?? sources.get(top);
  let reason = error?.message ?? 'is invalid';
  if (error?.keyword === 'additionalProperties') {
    reason = 'is not a known setting';
  } else if (error?.keyword === 'required') {
    reason = 'is required';
  } else if (error?.keyword === 'enum') {
    reason = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `Invalid configuration: ${field} ${reason}${source ? ` (from ${source})` : ''}`;
}

function setField(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
