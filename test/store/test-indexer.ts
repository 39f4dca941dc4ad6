// A small hand-written indexer for the store suites: the FHIR API layer supplies the real
// one (from SearchParameter definitions); this one covers the resources the suites write.
import type { Resource } from '@medplum/fhirtypes';
import { dateRange } from '../../src/store/search/date-range.ts';
import type { IndexEntry, Indexer } from '../../src/store/store.ts';

type Json = Record<string, unknown>;

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function tokens(param: string, codings: unknown): IndexEntry[] {
  return asArray(codings).flatMap((c) => {
    const coding = c as { system?: string; code?: string; value?: string };
    const code = coding.code ?? coding.value;
    return code ? [{ param, kind: 'token' as const, system: coding.system ?? '', value: code }] : [];
  });
}

function reference(param: string, ref: unknown): IndexEntry[] {
  return asArray(ref).flatMap((r) => {
    const value = (r as { reference?: string }).reference;
    return value ? [{ param, kind: 'reference' as const, value }] : [];
  });
}

function date(param: string, text: unknown): IndexEntry[] {
  const range = typeof text === 'string' ? dateRange(text) : undefined;
  return range ? [{ param, kind: 'date', low: range.low, high: range.high }] : [];
}

function period(param: string, value: unknown): IndexEntry[] {
  const p = value as { start?: string; end?: string } | undefined;
  if (!p) {
    return [];
  }
  const start = p.start ? dateRange(p.start)?.low : undefined;
  const end = p.end ? dateRange(p.end)?.high : undefined;
  return [{ param, kind: 'date', low: start, high: end }];
}

export const testIndexer: Indexer = (resource: Resource) => {
  const r = resource as unknown as Json;
  const meta = (r.meta ?? {}) as { tag?: unknown; profile?: string[] };
  const entries: IndexEntry[] = [...tokens('_tag', meta.tag), ...asArray(meta.profile).map((p) => ({ param: '_profile', kind: 'token' as const, value: p as string }))];
  entries.push(...tokens('identifier', r.identifier));
  switch (resource.resourceType) {
    case 'Task':
      entries.push(...tokens('status', [{ code: r.status }]), ...reference('owner', r.owner), ...reference('focus', r.focus));
      entries.push(...reference('patient', r.for), ...date('authored-on', r.authoredOn), ...period('period', r.executionPeriod));
      entries.push(...tokens('code', (r.code as { coding?: unknown } | undefined)?.coding));
      break;
    case 'Patient': {
      for (const name of asArray(r.name) as { family?: string; given?: string[] }[]) {
        for (const text of [name.family, ...(name.given ?? [])]) {
          if (text) {
            entries.push({ param: 'name', kind: 'string', value: text });
          }
        }
      }
      entries.push(...date('birthdate', r.birthDate), ...reference('general-practitioner', r.generalPractitioner));
      break;
    }
    case 'Observation': {
      const q = r.valueQuantity as { value?: number } | undefined;
      if (q?.value !== undefined) {
        entries.push({ param: 'value-quantity', kind: 'number', low: q.value, high: q.value });
      }
      entries.push(...reference('subject', r.subject), ...tokens('code', (r.code as { coding?: unknown } | undefined)?.coding));
      break;
    }
    case 'Questionnaire':
      if (typeof r.url === 'string') {
        entries.push({ param: 'url', kind: 'uri', value: r.url });
      }
      break;
  }
  return entries;
};
