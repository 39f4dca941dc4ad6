// Strict JSON for FHIR R4 json.html: JSON.parse accepts duplicate keys (last wins), keys that
// reach Object.prototype through later spreads, any depth, and lone surrogate escapes. A
// linear, non-recursive scan rejects those before JSON.parse builds anything; messages name
// the problem and a position, never the text itself.
import { OperationOutcomeError, structureError } from '../fhir/index.ts';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

function fail(text: string): never {
  throw new OperationOutcomeError(structureError(text));
}

/** Parses `text` as JSON under the rules above; `maxDepth` counts objects and arrays. */
export function parseStrictJson(text: string, maxDepth: number): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    fail('Invalid JSON: a byte order mark is not allowed');
  }
  scan(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch {
    fail(`Invalid JSON: syntax error${syntaxPosition(text)}`);
  }
}

function scan(text: string, maxDepth: number): void {
  // One entry per open container: a Set of keys for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const keys = stack[stack.length - 1] as Set<string>;
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? decodeKey(raw, i) : raw;
        if (FORBIDDEN_KEYS.has(key)) {
          fail(`Invalid JSON: the property name '${key}' is not allowed (at position ${i})`);
        }
        if (keys.has(key)) {
          fail(`Invalid JSON: duplicate property name at position ${i}`);
        }
        keys.add(key);
        expectKey = false;
      } else {
        checkSurrogates(text, i + 1, end);
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) {
        fail(`Invalid JSON: nesting deeper than ${maxDepth} levels`);
      }
      const isObject = c === OPEN_OBJECT;
      stack.push(isObject ? new Set() : null);
      expectKey = isObject;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
  }
}

/** Index of the closing quote of the string opening at `start` (or the end of the text). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
    } else if (c === QUOTE) {
      return i;
    } else {
      i++;
    }
  }
  return text.length;
}

function decodeKey(raw: string, position: number): string {
  checkSurrogates(raw, 0, raw.length);
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    fail(`Invalid JSON: bad escape in a property name at position ${position}`);
  }
}

/** RFC 8259 section 8.2: reject unpaired UTF-16 surrogates written as \u escapes. */
function checkSurrogates(text: string, from: number, to: number): void {
  let i = text.indexOf('\\u', from);
  while (i !== -1 && i < to) {
    // Count the backslashes before this one: an escaped backslash is not an escape.
    let slashes = 0;
    for (let j = i - 1; j >= from && text.charCodeAt(j) === BACKSLASH; j--) {
      slashes++;
    }
    if (slashes % 2 === 0) {
      const unit = parseInt(text.slice(i + 2, i + 6), 16);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const next = text.slice(i + 6, i + 8) === '\\u' ? parseInt(text.slice(i + 8, i + 12), 16) : NaN;
        if (!(next >= 0xdc00 && next <= 0xdfff)) {
          fail(`Invalid JSON: unpaired surrogate escape at position ${i}`);
        }
        i = text.indexOf('\\u', i + 12);
        continue;
      }
      if (unit >= 0xdc00 && unit <= 0xdfff) {
        fail(`Invalid JSON: unpaired surrogate escape at position ${i}`);
      }
    }
    i = text.indexOf('\\u', i + 2);
  }
}

function syntaxPosition(text: string): string {
  // V8's messages quote the input; keep only the position it reports.
  try {
    JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec((error as Error).message);
    if (match) {
      return ` at position ${match[1]}`;
    }
    if (/end of JSON input/i.test((error as Error).message)) {
      return ' (unexpected end of input)';
    }
  }
  return '';
}
