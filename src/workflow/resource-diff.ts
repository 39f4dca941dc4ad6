// Which top-level elements differ between two versions of a resource (deep, key-order
// insensitive), ignoring the ones named (by default `meta`, which the server maintains:
// FHIR R4 resource.html#Meta).

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) {
        out[key] = canonical(v);
      }
    }
    return out;
  }
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function changedElements(before: object, after: object, ignore: readonly string[] = ['meta']): string[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed: string[] = [];
  for (const key of keys) {
    if (ignore.includes(key)) {
      continue;
    }
    if (!deepEqual(a[key], b[key])) {
      changed.push(key);
    }
  }
  return changed.sort();
}
