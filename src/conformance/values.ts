// Value comparison for fixed[x] and pattern[x] (elementdefinition-definitions.html
// #ElementDefinition.fixed_x_, #ElementDefinition.pattern_x_) and small JSON helpers.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** fixed[x]: exact equality, including array order and no extra properties. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * pattern[x]: every property in the pattern appears in the value with the same value;
 * for repeating elements, each pattern item matches some value item.
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    const items = Array.isArray(value) ? value : [value];
    return pattern.every((p) => items.some((v) => matchesPattern(v, p)));
  }
  if (isObject(pattern)) {
    if (!isObject(value)) return false;
    for (const k of Object.keys(pattern)) {
      if (!matchesPattern(value[k], pattern[k])) return false;
    }
    return true;
  }
  return value === pattern;
}

export const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
