// Rewrites every literal reference inside a resource (any `reference` string of a Reference,
// at any depth: FHIR R4 references.html), returning a new object; the input is not changed.

export type ReferenceMapper = (reference: string, path: string) => string;

function walk(value: unknown, path: string, map: ReferenceMapper): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => walk(item, `${path}[${index}]`, map));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') {
        out[key] = map(child, path);
      } else if (key !== 'contained') {
        out[key] = walk(child, `${path}.${key}`, map);
      } else {
        out[key] = child;
      }
    }
    return out;
  }
  return value;
}

export function rewriteReferences<T extends object>(resource: T, map: ReferenceMapper): T {
  const type = (resource as { resourceType?: string }).resourceType ?? 'Resource';
  return walk(resource, type, map) as T;
}

/** Every literal reference in the resource with its FHIRPath-like location. */
export function collectReferences(resource: object): { reference: string; path: string }[] {
  const found: { reference: string; path: string }[] = [];
  rewriteReferences(resource, (reference, path) => {
    found.push({ reference, path });
    return reference;
  });
  return found;
}
