// FHIR R4 operation $validate (resource-operation-validate.html): `POST /$validate` and
// `POST /{type}/$validate`. The body is the resource, or a Parameters with `resource` and
// optional `profile`; `?profile=` works too. Any parseable input gets 200 with the
// OperationOutcome; 4xx only when the request itself is unusable (no resource at all).
// Mount this module before the FHIR REST module, whose `/{type}/...` route would take it.
import express, { type Request, type Response, type Router } from 'express';
import type { OperationOutcome, Parameters } from '@medplum/fhirtypes';
import type { Conformance } from '../conformance/index.ts';
import { OperationOutcomeError, badRequest, issue } from '../fhir/index.ts';
import { sendResource, type HttpModule } from './app.ts';

export interface ValidateRoutesOptions {
  conformance: Conformance;
}

const VALIDATE_DEFINITION = 'http://hl7.org/fhir/OperationDefinition/Resource-validate';

interface ValidateRequest {
  resource: unknown;
  profiles: string[];
  /** The raw text when the body is the resource itself (numbers checked on their source). */
  sourceText?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the operation's input from the body and query (resource-operation-validate.html#inputs). */
export function readValidateRequest(body: unknown, query: Record<string, unknown>, bodyText: string | undefined): ValidateRequest {
  if (!isRecord(body)) {
    throw new OperationOutcomeError(badRequest('$validate needs a resource, or a Parameters with a resource, as a JSON body', '$this'));
  }
  const queryProfiles = ([] as unknown[]).concat(query.profile ?? []).filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (body.resourceType === 'Parameters' && Array.isArray(body.parameter) && body.parameter.some((p) => isRecord(p) && p.name === 'resource')) {
    const params = (body as unknown as Parameters).parameter ?? [];
    const resource = params.find((p) => p.name === 'resource')?.resource;
    if (!resource) throw new OperationOutcomeError(badRequest("The 'resource' parameter has no resource", 'Parameters.parameter'));
    const profiles = params.filter((p) => p.name === 'profile').map((p) => p.valueUri ?? p.valueCanonical ?? p.valueString ?? '').filter((p) => p.length > 0);
    return { resource, profiles: [...queryProfiles, ...profiles] };
  }
  return { resource: body, profiles: queryProfiles, sourceText: bodyText };
}

export function validateRoutes(options: ValidateRoutesOptions): Router {
  const router = express.Router();
  const handle = (req: Request, res: Response, type?: string): void => {
    const request = readValidateRequest(req.body, req.query as Record<string, unknown>, res.locals.bodyText as string | undefined);
    const result = options.conformance.validate(request.resource, { profiles: request.profiles, sourceText: request.sourceText });
    const issues = [...(result.issue ?? [])];
    const actual = isRecord(request.resource) ? request.resource.resourceType : undefined;
    if (type && actual !== type) {
      issues.unshift(issue('error', 'invalid', `The URL names ${type} but the resource is ${typeof actual === 'string' ? actual : 'not a resource'}`, 'resourceType'));
    }
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: issues };
    sendResource(res, 200, outcome);
  };
  router.post(/^\/\$validate$/, (req, res) => handle(req, res));
  router.post(/^\/([A-Z][A-Za-z]{1,63})\/\$validate$/, (req, res) => handle(req, res, (req.params as Record<string, string>)[0]));
  return router;
}

/** The routes with their CapabilityStatement entry, for the app's module list. */
export function validateModule(options: ValidateRoutesOptions): HttpModule {
  return {
    router: validateRoutes(options),
    capabilities: { operations: [{ name: 'validate', definition: VALIDATE_DEFINITION }] },
  };
}
