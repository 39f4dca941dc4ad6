// SMART App Launch 2.x scopes (scopes-and-launch-context.html): `system/Task.rs`,
// `system/*.cruds`; SMART v1 `.read`/`.write`/`.*` are read as their v2 equivalents. Only the
// `system/` context applies to backend clients; other scopes grant nothing here. Pure.
import { OperationOutcomeError, forbidden } from '../fhir/index.ts';
import type { Access } from '../rest/context.ts';

export interface Grant {
  /** A resource type or `*`. */
  resourceType: string;
  access: ReadonlySet<Access>;
}

const SCOPE = /^system\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]{1,5})$/;
const V2_ORDER = 'cruds';

/** The grants of a space-separated scope string or list; unknown or malformed scopes grant nothing. */
export function parseScopes(scopes: string | readonly string[]): Grant[] {
  const list = typeof scopes === 'string' ? scopes.split(/\s+/) : scopes;
  const grants: Grant[] = [];
  for (const scope of list) {
    const match = SCOPE.exec(scope);
    if (!match) {
      continue;
    }
    const letters = accessLetters(match[2]);
    if (letters) {
      grants.push({ resourceType: match[1], access: new Set(letters) });
    }
  }
  return grants;
}

function accessLetters(permission: string): Access[] | undefined {
  if (permission === 'read') return ['r', 's'];
  if (permission === 'write') return ['c', 'u', 'd'];
  if (permission === '*') return ['c', 'r', 'u', 'd', 's'];
  // v2: a subset of c, r, u, d, s in that order, each at most once.
  let last = -1;
  for (const letter of permission) {
    const at = V2_ORDER.indexOf(letter);
    if (at <= last) {
      return undefined;
    }
    last = at;
  }
  return [...permission] as Access[];
}

export function allows(grants: readonly Grant[], resourceType: string, access: Access): boolean {
  return grants.some((g) => (g.resourceType === '*' || g.resourceType === resourceType) && g.access.has(access));
}

const ACCESS_WORDS: Record<Access, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

/** The `authorize` hook of a RestContext for these grants: throws 403 when a scope is missing. */
export function authorizerFor(grants: readonly Grant[]): (resourceType: string, access: Access) => void {
  return (resourceType, access) => {
    if (!allows(grants, resourceType, access)) {
      throw new OperationOutcomeError(forbidden(`The credential's scopes do not allow ${ACCESS_WORDS[access]} on ${resourceType}`));
    }
  };
}

/** The granted subset of `requested` (the token endpoint narrows requests to what the client holds). */
export function narrowScopes(requested: readonly string[], held: readonly string[]): string[] {
  const heldGrants = parseScopes(held);
  return requested.filter((scope) => {
    const grants = parseScopes([scope]);
    return grants.length > 0 && grants.every((g) => [...g.access].every((a) => g.resourceType === '*' ? heldGrants.some((h) => h.resourceType === '*' && h.access.has(a)) : allows(heldGrants, g.resourceType, a)));
  });
}
