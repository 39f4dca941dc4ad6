// Element paths used by mapping rules, on both the partner and the FHIR side, compiled once
// into a getter and a setter. The syntax is the simple subset of FHIRPath that names one
// location (FHIR R4 fhirpath.html#paths):
//   name            a property
//   name[2]         an item of a list
//   name[key=value] the first list item whose `key` (a dotted path, matched through lists)
//                   equals `value`; the setter creates it when missing, e.g.
//                   `identifier[system=urn:x].value`, `extension[url=http://...].valueCode`,
//                   `category[coding.system=http://...].coding[0]`.
// Setting creates the objects and lists on the way; reading a missing step gives undefined.

type Segment =
  | { kind: 'prop'; name: string }
  | { kind: 'index'; name: string; index: number }
  | { kind: 'select'; name: string; key: string[]; value: string };

export interface CompiledPath {
  text: string;
  get(root: unknown): unknown;
  set(root: Record<string, unknown>, value: unknown): void;
  /** Every value at this path, stepping through lists the way FHIRPath does. */
  getAll(root: unknown): unknown[];
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_\-$]*$/;

/** Splits on dots that are not inside brackets. */
function splitPath(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === '.' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function parseSegment(part: string): Segment {
  const open = part.indexOf('[');
  if (open < 0) {
    if (!NAME.test(part)) throw new Error(`invalid path step "${part}"`);
    return { kind: 'prop', name: part };
  }
  if (!part.endsWith(']')) throw new Error(`invalid path step "${part}"`);
  const name = part.slice(0, open);
  const inner = part.slice(open + 1, -1);
  if (!NAME.test(name)) throw new Error(`invalid path step "${part}"`);
  if (/^\d+$/.test(inner)) return { kind: 'index', name, index: Number(inner) };
  const eq = inner.indexOf('=');
  if (eq <= 0) throw new Error(`invalid selector in "${part}": use [n] or [key=value]`);
  const key = inner.slice(0, eq).split('.');
  if (!key.every((k) => NAME.test(k))) throw new Error(`invalid selector key in "${part}"`);
  return { kind: 'select', name, key, value: inner.slice(eq + 1) };
}

function matches(item: unknown, key: string[], value: string, at = 0): boolean {
  if (Array.isArray(item)) return item.some((i) => matches(i, key, value, at));
  if (at === key.length) return item === value;
  if (typeof item !== 'object' || item === null) return false;
  return matches((item as Record<string, unknown>)[key[at]], key, value, at + 1);
}

/** Builds a new list item that satisfies a selector; `coding` steps become lists (Coding is 0..*). */
function createSelected(key: string[], value: string): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  let cursor = item;
  key.forEach((k, i) => {
    if (i === key.length - 1) {
      cursor[k] = value;
      return;
    }
    const next: Record<string, unknown> = {};
    cursor[k] = k === 'coding' ? [next] : next;
    cursor = next;
  });
  return item;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function compilePath(text: string): CompiledPath {
  if (text.length === 0) throw new Error('empty path');
  const segments = splitPath(text).map(parseSegment);
  const last = segments.length - 1;

  const get = (root: unknown): unknown => {
    let cursor: unknown = root;
    for (const seg of segments) {
      const obj = asRecord(cursor);
      if (!obj) return undefined;
      const here = obj[seg.name];
      if (seg.kind === 'prop') {
        cursor = here;
      } else if (!Array.isArray(here)) {
        return undefined;
      } else if (seg.kind === 'index') {
        cursor = here[seg.index];
      } else {
        cursor = here.find((item) => matches(item, seg.key, seg.value));
      }
      if (cursor === undefined || cursor === null) return undefined;
    }
    return cursor;
  };

  const set = (root: Record<string, unknown>, value: unknown): void => {
    let cursor = root;
    for (let i = 0; i <= last; i++) {
      const seg = segments[i];
      if (seg.kind === 'prop') {
        if (i === last) {
          cursor[seg.name] = value;
          return;
        }
        const next = asRecord(cursor[seg.name]) ?? {};
        cursor[seg.name] = next;
        cursor = next;
        continue;
      }
      const list = Array.isArray(cursor[seg.name]) ? (cursor[seg.name] as unknown[]) : [];
      cursor[seg.name] = list;
      if (seg.kind === 'index') {
        if (i === last) {
          while (list.length < seg.index) list.push(null);
          list[seg.index] = value;
          return;
        }
        while (list.length <= seg.index) list.push({});
        const next = asRecord(list[seg.index]) ?? {};
        list[seg.index] = next;
        cursor = next;
        continue;
      }
      let item = list.find((it) => matches(it, seg.key, seg.value));
      if (i === last) {
        const replacement = asRecord(value) ? { ...createSelected(seg.key, seg.value), ...(value as object) } : value;
        if (item === undefined) list.push(replacement);
        else list[list.indexOf(item)] = replacement;
        return;
      }
      if (item === undefined) {
        item = createSelected(seg.key, seg.value);
        list.push(item);
      }
      cursor = item as Record<string, unknown>;
    }
  };

  const getAll = (root: unknown): unknown[] => {
    let current: unknown[] = [root];
    for (const seg of segments) {
      const next: unknown[] = [];
      for (const node of current) {
        const obj = asRecord(node);
        if (!obj) continue;
        const here = obj[seg.name];
        const list = Array.isArray(here) ? here : here === undefined || here === null ? [] : [here];
        if (seg.kind === 'prop') next.push(...list);
        else if (seg.kind === 'index') {
          if (list[seg.index] !== undefined) next.push(list[seg.index]);
        } else next.push(...list.filter((item) => matches(item, seg.key, seg.value)));
      }
      current = next;
    }
    return current;
  };

  return { text, get, set, getAll };
}
