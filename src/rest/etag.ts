// FHIR R4 http.html#versioning: ETag W/"<versionId>", If-Match with the same form.
import { OperationOutcomeError, badRequest } from '../fhir/index.ts';

export function etag(versionId: string): string {
  return `W/"${versionId}"`;
}

/** The versionId named by an If-Match header; accepts W/"3", "3" and 3. */
export function versionFromIfMatch(header: string): string {
  const match = /^(?:W\/)?"?([A-Za-z0-9\-.]{1,64})"?$/.exec(header.trim());
  if (!match) {
    throw new OperationOutcomeError(badRequest('If-Match must be a version ETag such as W/"3"', 'If-Match'));
  }
  return match[1];
}
