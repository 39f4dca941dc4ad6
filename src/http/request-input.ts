// Small readers of an Express request shared by the admin routes and the console's admin APIs:
// a path parameter, a JSON object body and a bounded whole-number query value, each refused
// with a 400 OperationOutcome naming the problem.
import type { Request } from 'express';
import { OperationOutcomeError, badRequest } from '../fhir/index.ts';

export function param(req: Request, name: string): string {
  return String((req.params as Record<string, string>)[name]);
}

export function objectBody(req: Request): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw new OperationOutcomeError(badRequest('A JSON object body is required'));
  }
  return req.body as Record<string, unknown>;
}

/** A query value that must be a whole number from 0 to `max`; `fallback` when absent. */
export function boundedInt(value: unknown, fallback: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || Number(value) > max) {
    throw new OperationOutcomeError(badRequest(`${name} must be a whole number from 0 to ${max}`, name));
  }
  return Number(value);
}
