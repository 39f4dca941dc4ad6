// Access tokens for one EHR through SMART Backend Services (backend-services.html#obtaining-an-access-token):
// client_credentials with a fresh client assertion per request, the token cached and renewed
// before it expires; concurrent callers share one request. No refresh tokens in this flow.
import type { EhrConfig, SmartBackendAuth } from './config.ts';
import { buildClientAssertion, importAssertionKey, type AssertionKey } from './client-assertion.ts';
import { executeCall, type CallDeps, type TokenProvider } from './call-executor.ts';
import { ehrFailure } from './failures.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 6750 §2.1 b64token: what may follow `Bearer ` in a header. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

interface CachedToken {
  value: string;
  renewAt: number;
}

export function smartBackendTokenProvider(auth: SmartBackendAuth, config: EhrConfig, deps: CallDeps): TokenProvider {
  const tokenUrl = new URL(auth.tokenUrl);
  let key: Promise<AssertionKey> | undefined;
  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;

  async function fetchToken(signal?: AbortSignal): Promise<CachedToken> {
    key ??= importAssertionKey(auth);
    const signingKey = await key;
    const requestedAt = deps.now();
    const response = await executeCall(config, { origin: tokenUrl.origin }, deps, {
      operation: 'token',
      method: 'POST',
      url: tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      // A fresh assertion (new jti) for every attempt: servers refuse a replayed jti.
      body: async () =>
        new URLSearchParams({
          grant_type: 'client_credentials',
          scope: auth.scope,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await buildClientAssertion(auth, signingKey, deps.now()),
        }).toString(),
      mode: 'idempotent',
      signal,
    });
    const parsed = parseTokenResponse(response.text);
    if (!parsed) {
      throw ehrFailure('token', { kind: 'unreadable', status: response.status });
    }
    const lifetimeMs = parsed.expiresIn * 1000;
    // Renew ahead of expiry, never later than three quarters into the token's life.
    const margin = Math.min(config.tokenRenewBeforeMs, lifetimeMs / 4);
    return { value: parsed.token, renewAt: requestedAt + lifetimeMs - margin };
  }

  return {
    async token(signal?: AbortSignal): Promise<string> {
      if (cached && deps.now() < cached.renewAt) {
        return cached.value;
      }
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      cached = await pending;
      return cached.value;
    },
    invalidate(token: string): void {
      if (cached?.value === token) {
        cached = undefined;
      }
    },
  };
}

function parseTokenResponse(text: string): { token: string; expiresIn: number } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { access_token: token, token_type: type, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || !B64_TOKEN.test(token) || typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
    return undefined;
  }
  // SMART: expires_in is required; a token without it is treated as the 300 s the spec suggests.
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 300;
  return { token, expiresIn: seconds };
}
