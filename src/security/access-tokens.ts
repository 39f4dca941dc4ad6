// The gateway's own bearer tokens for partner FHIR clients, issued by its token endpoint after
// a client assertion (SMART backend-services.html "Response"): HS256 JWTs under a secret the
// replicas share (security.tokenSecret), naming the credential, partner and granted scopes.
import { randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export interface AccessClaims {
  partnerId: string;
  credentialId: string;
  scopes: string[];
}

export interface AccessTokens {
  issue(claims: AccessClaims): Promise<{ token: string; expiresIn: number }>;
  /** The claims of a valid token, or undefined (bad signature, algorithm, issuer, audience, expired). */
  verify(token: string): Promise<AccessClaims | undefined>;
}

export function createAccessTokens(options: { secret?: string; issuer: string; lifetimeSeconds: number; now?: () => number }): AccessTokens {
  const key = options.secret ? new TextEncoder().encode(options.secret) : randomBytes(32);
  const now = options.now ?? Date.now;
  return {
    async issue(claims) {
      const iat = Math.floor(now() / 1000);
      const token = await new SignJWT({ scope: claims.scopes.join(' '), cid: claims.credentialId })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setIssuer(options.issuer)
        .setAudience(options.issuer)
        .setSubject(claims.partnerId)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + options.lifetimeSeconds)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: options.lifetimeSeconds };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: options.issuer,
          audience: options.issuer,
          clockTolerance: 5,
          requiredClaims: ['exp', 'sub'],
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.cid !== 'string' || typeof payload.scope !== 'string') {
          return undefined;
        }
        return { partnerId: payload.sub, credentialId: payload.cid, scopes: payload.scope.split(' ').filter(Boolean) };
      } catch {
        return undefined;
      }
    },
  };
}
