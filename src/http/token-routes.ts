// The gateway's own OAuth 2.0 token endpoint for partner FHIR clients: client_credentials with
// a private_key_jwt client assertion (SMART App Launch 2.x backend-services.html; RFC 6749
// section 4.4; RFC 7523). Answers are OAuth JSON (RFC 6749 section 5.1/5.2), not
// OperationOutcome: invalid_client is 401, the other errors 400.
import express, { type Request, type Response } from 'express';
import type { Logger } from '../logging/logger.ts';
import type { AccessTokens } from '../security/access-tokens.ts';
import { ASSERTION_TYPE, AssertionRejected, verifyClientAssertion } from '../security/client-assertion.ts';
import { narrowScopes } from '../security/scopes.ts';
import type { Store } from '../store/store.ts';
import type { HttpModule } from './app.ts';
import { principalOf } from './auth.ts';

export interface TokenRoutesOptions {
  store: Store;
  tokens: AccessTokens;
  /** The exact URL clients must name as the assertion's `aud`. */
  tokenUrl: string;
  logger: Logger;
  now?: () => number;
}

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

export function tokenModule(options: TokenRoutesOptions): HttpModule {
  const router = express.Router();

  // SMART App Launch 2.x conformance.html: discovery of the token endpoint.
  router.get('/.well-known/smart-configuration', (_req, res) => {
    res.json({
      token_endpoint: options.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['client_credentials'],
      scopes_supported: ['system/*.cruds', 'system/*.rs'],
      capabilities: ['client-confidential-asymmetric'],
    });
  });

  router.post('/token', async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const form = res.locals.bodyKind === 'form' && req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : undefined;
    if (!form) {
      return oauthError(res, 400, 'invalid_request', 'The request must be application/x-www-form-urlencoded');
    }
    if (form.grant_type !== 'client_credentials') {
      return oauthError(res, 400, 'unsupported_grant_type', 'Only client_credentials is supported');
    }
    if (form.client_assertion_type !== ASSERTION_TYPE || typeof form.client_assertion !== 'string') {
      return oauthError(res, 401, 'invalid_client', 'A private_key_jwt client assertion is required');
    }
    let client;
    try {
      client = await verifyClientAssertion(form.client_assertion, { store: options.store, tokenUrl: options.tokenUrl, now: options.now });
    } catch (error) {
      if (error instanceof AssertionRejected) {
        options.logger.info({ reqId: res.locals.requestId, reason: error.reason }, 'client assertion refused');
        return oauthError(res, 401, 'invalid_client', 'The client assertion was not accepted');
      }
      throw error;
    }
    const partner = await options.store.getPartner(client.credential.partnerId);
    if (!partner) {
      return oauthError(res, 401, 'invalid_client', 'The client assertion was not accepted');
    }
    res.locals.principal = { ...principalOf(res), kind: 'partner', partner, credentialId: client.credential.id };
    res.locals.tenant = partner.tenant;
    const requested = typeof form.scope === 'string' && form.scope.trim() !== '' ? form.scope.trim().split(/\s+/) : client.credential.scopes;
    const granted = narrowScopes(requested, client.credential.scopes);
    if (granted.length === 0) {
      return oauthError(res, 400, 'invalid_scope', 'None of the requested scopes is granted to this client');
    }
    const { token, expiresIn } = await options.tokens.issue({ partnerId: partner.id, credentialId: client.credential.id, scopes: granted });
    res.status(200).json({ access_token: token, token_type: 'bearer', expires_in: expiresIn, scope: granted.join(' ') });
  });

  return { router };
}

function oauthError(res: Response, status: number, error: OAuthError, description: string): void {
  res.status(status).json({ error, error_description: description });
}
