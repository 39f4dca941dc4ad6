// Reference targets (FHIR R4 references.html#Reference, elementdefinition
// #ElementDefinition.type.targetProfile): what a reference points at, resolved from
// contained resources (`#id`), Bundle entries (fullUrl) or the type segment of a
// relative or absolute RESTful URL.
import { isObject } from './values.ts';

export interface ReferenceScope {
  /** Contained resources of the resource being walked, by id. */
  contained: Map<string, Record<string, unknown>>;
  /** Entries of the enclosing Bundle by fullUrl, when inside one. */
  bundle?: Map<string, Record<string, unknown>>;
  /** The container, for `#` references from a contained resource. */
  container?: Record<string, unknown>;
}

const RESTFUL = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The resource a reference resolves to locally, if any. */
export function resolveLocal(ref: unknown, scope: ReferenceScope): Record<string, unknown> | undefined {
  if (!isObject(ref) || typeof ref.reference !== 'string') return undefined;
  const r = ref.reference;
  if (r === '#') return scope.container;
  if (r.startsWith('#')) return scope.contained.get(r.slice(1));
  if (scope.bundle) {
    const hit = scope.bundle.get(r);
    if (hit) return hit;
    const m = RESTFUL.exec(r);
    if (m) {
      for (const [fullUrl, res] of scope.bundle) {
        if (fullUrl.endsWith(`/${r}`) || fullUrl === r) return res;
      }
    }
  }
  return undefined;
}

/** The resource type a reference points at, when it can be told without fetching. */
export function referencedType(ref: Record<string, unknown>, scope: ReferenceScope): string | undefined {
  const local = resolveLocal(ref, scope);
  if (local && typeof local.resourceType === 'string') return local.resourceType;
  const r = typeof ref.reference === 'string' ? ref.reference : '';
  const fromUrl = r.startsWith('#') || r.startsWith('urn:') ? undefined : RESTFUL.exec(r)?.[1];
  return fromUrl ?? (typeof ref.type === 'string' ? ref.type : undefined);
}
