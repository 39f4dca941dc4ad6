// Authentication and per-partner rate limits, run before the body is read. A request carries
// `Authorization: Bearer <token>` where the token is a partner API key (`gwk_...`), an access
// token from the gateway's token endpoint, or (on /admin only) the admin token. After it,
// `res.locals` holds partner, tenant, actor, scopes and the `authorize` hook the FHIR routes
// pass to every interaction (docs/security.md).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { OperationOutcomeError, tooManyRequests, unauthorized } from '../fhir/index.ts';
import type { Logger } from '../logging/logger.ts';
import type { AccessTokens } from '../security/access-tokens.ts';
import { apiKeyLookup, looksLikeApiKey, secretMatches } from '../security/api-keys.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import { authorizerFor, parseScopes } from '../security/scopes.ts';
import type { Credential, Partner, Store } from '../store/store.ts';
import { isNotifyPath } from './subscription-routes.ts';

/** Tenant of requests without credentials, when anonymous access is allowed. */
export const ANONYMOUS_TENANT = 'default';
/** Paths that need no credentials (health, capabilities, the token endpoint itself). */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metadata', '/metrics', '/token', '/.well-known/smart-configuration', '/openapi.json']);

export interface AuthOptions {
  store: Store;
  tokens: AccessTokens;
  allowAnonymous: boolean;
  /** SHA-256 hex of the admin token; the admin API is closed when absent. */
  adminTokenHash?: string;
  limiter: RateLimiter;
  logger: Logger;
  now?: () => number;
}

/** What authentication established; also read by the audit middleware. */
export interface Principal {
  kind: 'partner' | 'admin' | 'anonymous';
  partner?: Partner;
  credentialId?: string;
}

export function authenticate(options: AuthOptions): RequestHandler {
  const now = options.now ?? Date.now;
  return async (req: Request, res: Response, next: NextFunction) => {
    // Subscription notifications authenticate with their EHR's shared secret, checked ahead of this.
    if (isNotifyPath(req.path) && res.locals.subscriptionSecretChecked === true) {
      next();
      return;
    }
    if (PUBLIC_PATHS.has(req.path) || isConsoleShell(req.path)) {
      next();
      return;
    }
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^Bearer [\x21-\x7e]{1,4096}$/i.test(header) ? header.slice(7) : undefined;
    if (header !== undefined && token === undefined) {
      refuse(res, 'The Authorization header must be a Bearer token');
    }
    if (req.path === '/admin' || req.path.startsWith('/admin/')) {
      if (token === undefined || !options.adminTokenHash || !secretMatches(token, options.adminTokenHash)) {
        refuse(res, 'The admin API needs the admin credential');
      }
      setPrincipal(res, { kind: 'admin' });
      next();
      return;
    }
    if (token === undefined) {
      if (!options.allowAnonymous) {
        refuse(res, 'Credentials are required');
      }
      setPrincipal(res, { kind: 'anonymous' });
      res.locals.tenant = ANONYMOUS_TENANT;
      next();
      return;
    }
    const found = looksLikeApiKey(token) ? await fromApiKey(options.store, token, now()) : await fromAccessToken(options, token, now());
    if (!found) {
      refuse(res, 'The credential is not valid');
    }
    const { partner, credential, scopes } = found;
    setPrincipal(res, { kind: 'partner', partner, credentialId: credential.id });
    res.locals.partner = partner;
    res.locals.tenant = partner.tenant;
    res.locals.actor = partner.organization;
    res.locals.scopes = scopes;
    res.locals.authorize = authorizerFor(parseScopes(scopes));
    const decision = options.limiter.take(partner.id);
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      throw new OperationOutcomeError(tooManyRequests('Too many requests for this partner; retry after the time in Retry-After'));
    }
    next();
  };
}

/** For partner API routes: 401 unless a partner credential authenticated the request. */
export function requirePartner(_req: Request, res: Response, next: NextFunction): void {
  if (!res.locals.partner) {
    refuse(res, 'A partner credential is required');
  }
  next();
}

/** The operations console's static shell (/console/...): no data; its data calls go to /admin. */
export function isConsoleShell(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

function setPrincipal(res: Response, principal: Principal): void {
  res.locals.principal = principal;
}

/** RFC 6750 section 3: 401 with a WWW-Authenticate challenge; the reason never names the token. */
function refuse(res: Response, text: string): never {
  res.setHeader('WWW-Authenticate', 'Bearer realm="social-care-gateway", error="invalid_token"');
  throw new OperationOutcomeError(unauthorized(text));
}

function usable(credential: Credential, nowMs: number): boolean {
  return !credential.revokedAt && !(credential.expiresAt && Date.parse(credential.expiresAt) <= nowMs);
}

async function fromApiKey(store: Store, key: string, nowMs: number) {
  const lookup = apiKeyLookup(key);
  if (!lookup) return undefined;
  const credential = (await store.findCredentials(lookup)).find((c) => c.kind === 'api-key' && usable(c, nowMs) && secretMatches(key, c.secretHash));
  if (!credential) return undefined;
  const partner = await store.getPartner(credential.partnerId);
  return partner ? { partner, credential, scopes: credential.scopes } : undefined;
}

async function fromAccessToken(options: AuthOptions, token: string, nowMs: number) {
  const claims = await options.tokens.verify(token);
  if (!claims) return undefined;
  // Revoking the credential ends its tokens at once, not at their expiry.
  const credential = (await options.store.listCredentials(claims.partnerId)).find((c) => c.id === claims.credentialId);
  if (!credential || !usable(credential, nowMs)) return undefined;
  const partner = await options.store.getPartner(claims.partnerId);
  return partner ? { partner, credential, scopes: claims.scopes } : undefined;
}
