// String matching rules of FHIR R4 search.html#string: case- and accent-insensitive by
// default, so the store keeps a normalised copy beside the text as written.

/** Lower case, accents (combining marks after NFD) removed, white space collapsed. */
export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The smallest string above every string starting with `prefix`, for index range scans. */
export function prefixUpperBound(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/** Escapes `%`, `_` and the escape character itself for `LIKE ... ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
