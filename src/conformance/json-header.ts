// Reads `resourceType`, `url` and `version` of a conformance resource from its JSON text
// without parsing the whole document: a scan of the top level that jumps over strings and
// stops at the first bulky member (snapshot, differential, concept, compose, expansion).
// Package files are parsed only when a definition is first needed.

export interface JsonHeader {
  resourceType?: string;
  url?: string;
  version?: string;
  /** False when the scan stopped at a bulky member: members after it were not seen. */
  complete: boolean;
}

const WANTED = new Set(['resourceType', 'url', 'version']);
const BULKY = new Set(['snapshot', 'differential', 'concept', 'compose', 'expansion']);

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  while (j > 0) {
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

export function readJsonHeader(text: string): JsonHeader {
  const header: JsonHeader = { complete: true };
  let depth = 0;
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = stringEnd(text, i);
      if (end < 0) return { ...header, complete: false };
      let k = end + 1;
      while (k < text.length && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 13 || text.charCodeAt(k) === 9)) k++;
      const isKey = text.charCodeAt(k) === 58;
      if (depth === 1 && isKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (BULKY.has(key)) {
          header.complete = false;
          return header;
        }
        pendingKey = WANTED.has(key) ? key : undefined;
      } else if (depth === 1 && pendingKey) {
        header[pendingKey as 'resourceType' | 'url' | 'version'] = JSON.parse(text.slice(i, end + 1)) as string;
        pendingKey = undefined;
      }
      i = end;
    } else if (c === 123 || c === 91) {
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return header;
}
