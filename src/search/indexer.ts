// Turns a resource into search index entries (FHIR R4 search.html, one section per type).
// Pure; the store writes the entries in the same transaction as the resource.
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from '../store/store.ts';
import { dateRange } from './dates.ts';
import type { SearchParam, SearchParameters } from './parameters.ts';

type Json = Record<string, unknown>;

export function createIndexer(parameters: SearchParameters) {
  return (resource: Resource): IndexEntry[] => {
    const entries: IndexEntry[] = [];
    for (const param of parameters.forType(resource.resourceType)) {
      let values: unknown[];
      try {
        values = param.evaluate(resource);
      } catch {
        continue;
      }
      for (const value of values) {
        extract(param, value, entries);
      }
    }
    for (const profile of resource.meta?.profile ?? []) {
      entries.push({ param: '_profile', kind: 'uri', value: profile });
    }
    for (const tag of resource.meta?.tag ?? []) {
      entries.push({ param: '_tag', kind: 'token', system: tag.system ?? '', value: tag.code ?? '' });
    }
    for (const label of resource.meta?.security ?? []) {
      entries.push({ param: '_security', kind: 'token', system: label.system ?? '', value: label.code ?? '' });
    }
    return entries;
  };
}

function extract(param: SearchParam, value: unknown, out: IndexEntry[]): void {
  const code = param.code;
  switch (param.kind) {
    case 'token':
      tokens(value).forEach(([system, token]) => out.push({ param: code, kind: 'token', system, value: token }));
      return;
    case 'reference': {
      const ref = referenceOf(value);
      if (ref && (!param.onlyTypes || param.onlyTypes.includes(ref.type))) {
        out.push({ param: code, kind: 'reference', system: ref.type, value: ref.value });
      }
      return;
    }
    case 'string':
      strings(value).forEach((text) => out.push({ param: code, kind: 'string', value: text }));
      return;
    case 'date': {
      const range = dateOf(value);
      if (range) {
        out.push({ param: code, kind: 'date', low: range.low, high: range.high });
      }
      return;
    }
    case 'number':
    case 'quantity': {
      const n = typeof value === 'number' ? value : typeof (value as Json)?.value === 'number' ? ((value as Json).value as number) : undefined;
      if (n !== undefined) {
        out.push({ param: code, kind: 'number', low: n, high: n });
      }
      return;
    }
    case 'uri':
      if (typeof value === 'string') {
        out.push({ param: code, kind: 'uri', value });
      }
      return;
    default:
      return;
  }
}

/** [system, code] pairs of a code, Coding, CodeableConcept, Identifier, ContactPoint or boolean. */
export function tokens(value: unknown): [string, string][] {
  if (typeof value === 'string') {
    return [['', value]];
  }
  if (typeof value === 'boolean') {
    return [['', String(value)]];
  }
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  const v = value as Json;
  if (Array.isArray(v.coding)) {
    const result = (v.coding as Json[]).flatMap((c) => (typeof c.code === 'string' ? [[str(c.system), c.code] as [string, string]] : []));
    return result;
  }
  if (typeof v.code === 'string') {
    return [[str(v.system), v.code]];
  }
  if (typeof v.value === 'string') {
    return [[str(v.system), v.value]];
  }
  return [];
}

/** `Type/id` for relative references; absolute URLs are kept whole, with their type when visible. */
export function referenceOf(value: unknown): { type: string; value: string } | undefined {
  const reference = typeof value === 'string' ? value : typeof (value as Json)?.reference === 'string' ? ((value as Json).reference as string) : undefined;
  if (!reference || reference.startsWith('#')) {
    return undefined;
  }
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference);
  if (!match) {
    return { type: '', value: reference };
  }
  const relative = /^[A-Z]/.test(reference);
  return { type: match[1], value: relative ? `${match[1]}/${match[2]}` : reference.replace(/\/_history\/[^/]+$/, '') };
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  const v = value as Json;
  const parts: string[] = [];
  for (const key of ['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country']) {
    const part = v[key];
    if (typeof part === 'string') {
      parts.push(part);
    } else if (Array.isArray(part)) {
      parts.push(...part.filter((p): p is string => typeof p === 'string'));
    }
  }
  return parts;
}

function dateOf(value: unknown): { low: number; high: number } | undefined {
  if (typeof value === 'string') {
    return dateRange(value);
  }
  if (typeof value === 'object' && value !== null) {
    const v = value as Json;
    if ('start' in v || 'end' in v) {
      const start = typeof v.start === 'string' ? dateRange(v.start) : undefined;
      const end = typeof v.end === 'string' ? dateRange(v.end) : undefined;
      return { low: start?.low ?? Number.MIN_SAFE_INTEGER, high: end?.high ?? Number.MAX_SAFE_INTEGER };
    }
    if (Array.isArray(v.event)) {
      const ranges = (v.event as unknown[]).map((e) => (typeof e === 'string' ? dateRange(e) : undefined)).filter((r) => r !== undefined);
      if (ranges.length) {
        return { low: Math.min(...ranges.map((r) => r.low)), high: Math.max(...ranges.map((r) => r.high)) };
      }
    }
  }
  return undefined;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
