// Assembles the security layer for main.ts: the audit and authentication middleware that run
// before the body parser, and the token, admin and tenant-guard modules that sit in front of
// the FHIR routes.
import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import type { GatewayConfig } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import { createAccessTokens } from '../security/access-tokens.ts';
import { hashSecret } from '../security/api-keys.ts';
import { createRateLimiter } from '../security/rate-limit.ts';
import type { Store } from '../store/store.ts';
import type { HttpModule } from './app.ts';
import { adminModule } from './admin-routes.ts';
import { authenticate } from './auth.ts';
import { auditRequests } from './auth-audit.ts';
import { echoGuard } from './auth-echo-guard.ts';
import { scopeFilter } from './auth-scope-filter.ts';
import { tenantWriteGuard } from './auth-tenant-guard.ts';
import { tokenModule } from './token-routes.ts';

export interface SecurityLayer {
  before: RequestHandler[];
  /** Mount before the FHIR module (and before partner modules). */
  modules: HttpModule[];
  allowAnonymous: boolean;
}

export function securityLayer(options: { config: GatewayConfig; store: Store; logger: Logger; baseUrl: string; demo: boolean; now?: () => number }): SecurityLayer {
  const { config, store, logger, baseUrl } = options;
  const security = config.security;
  const allowAnonymous = security.allowAnonymous ?? options.demo;
  const tokenUrl = new URL('token', baseUrl).href;
  const tokens = createAccessTokens({ secret: security.tokenSecret, issuer: baseUrl, lifetimeSeconds: security.tokenLifetimeSeconds, now: options.now });
  if (!security.tokenSecret) {
    logger.warn('security.tokenSecret is not set: access tokens are signed with a per-process key and do not work across replicas');
  }
  if (allowAnonymous) {
    logger.warn('anonymous access is allowed: requests without credentials act in tenant default with every scope');
  }
  const limiter = createRateLimiter({ ...security.rateLimit, now: options.now });
  return {
    allowAnonymous,
    before: [
      auditRequests({ store, logger, now: options.now }),
      echoGuard(),
      authenticate({ store, tokens, allowAnonymous, adminTokenHash: adminTokenHash(config), limiter, logger, now: options.now }),
      scopeFilter(),
    ],
    modules: [
      tokenModule({ store, tokens, tokenUrl, logger, now: options.now }),
      adminModule({ store, baseUrl, urlAllowList: security.urlAllowList, now: options.now }),
      tenantWriteGuard(store),
    ],
  };
}

/** The admin token's hash from config: the hash itself, the token (env), or a file holding the token. */
export function adminTokenHash(config: GatewayConfig): string | undefined {
  const { adminTokenHash: hash, adminToken, adminTokenFile } = config.security;
  if (hash) return hash;
  if (adminToken) return hashSecret(adminToken);
  if (adminTokenFile) {
    const token = readFileSync(adminTokenFile, 'utf8').trim();
    if (token.length < 24) {
      throw new Error('The admin token file must hold a token of at least 24 characters');
    }
    return hashSecret(token);
  }
  return undefined;
}
