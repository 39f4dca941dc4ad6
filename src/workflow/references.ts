// Reference helpers for the workflow: FHIR R4 references.html#literal (relative
// `Type/id`, absolute URLs, contained `#id`). URLs are built with URL, never by joining.
import { createHash } from 'node:crypto';
import type { Reference } from '@medplum/fhirtypes';

/** `Type/id` (optionally `/_history/v`) at the end of a literal reference. */
const TAIL = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export interface ParsedReference {
  resourceType: string;
  id: string;
  /** The server base for absolute references, undefined for relative ones. */
  base?: string;
}

export function isAbsolute(reference: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(reference);
}

export function parseReference(reference: string | undefined): ParsedReference | undefined {
  if (!reference || reference.startsWith('#')) {
    return undefined;
  }
  const match = TAIL.exec(reference);
  if (!match) {
    return undefined;
  }
  const [, resourceType, id] = match;
  if (!isAbsolute(reference)) {
    return { resourceType, id };
  }
  return { resourceType, id, base: reference.slice(0, reference.length - match[0].length) };
}

/** The FHIR base URL with exactly one trailing slash, so `new URL('Type/id', base)` appends. */
function baseWithSlash(base: string): URL {
  const url = new URL(base);
  if (!url.pathname.endsWith('/')) {
    url.pathname = `${url.pathname}/`;
  }
  return url;
}

/** The absolute URL of `Type/id` on the server at `base`. */
export function absoluteUrl(base: string, resourceType: string, id: string): string {
  return new URL(`${encodeURIComponent(resourceType)}/${encodeURIComponent(id)}`, baseWithSlash(base)).toString();
}

/**
 * A reference made absolute against the base of the server holding the resource that
 * contains it (FHIR R4 references.html#literal: relative references are relative to the
 * server base of the containing resource). Absolute and contained references are kept.
 */
export function toAbsolute(reference: string, containerBase: string | undefined): string {
  if (containerBase === undefined || isAbsolute(reference) || reference.startsWith('#')) {
    return reference;
  }
  const parsed = parseReference(reference);
  return parsed ? absoluteUrl(containerBase, parsed.resourceType, parsed.id) : reference;
}

/** True when the two references name the same resource (a relative one matches any base's tail). */
export function sameTarget(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) {
    return false;
  }
  if (a === b) {
    return true;
  }
  const pa = parseReference(a);
  const pb = parseReference(b);
  if (!pa || !pb || pa.resourceType !== pb.resourceType || pa.id !== pb.id) {
    return false;
  }
  return pa.base === undefined || pb.base === undefined || pa.base === pb.base;
}

export function refOf(reference: Reference | undefined): string | undefined {
  return reference?.reference;
}

/**
 * A deterministic FHIR id (R4 datatypes.html#id: [A-Za-z0-9\-\.]{1,64}) from a prefix and
 * the source identifiers, so repeating an operation updates instead of duplicating
 * (ARCHITECTURE "deterministic ids").
 */
export function deterministicId(prefix: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  return `${prefix}-${digest}`;
}
