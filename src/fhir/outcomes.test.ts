import { describe, expect, test } from 'vitest';
import { OperationOutcomeError, normalize } from './errors.ts';
import { statusOf } from './http-status.ts';
import { allOk, badRequest, businessRule, conflict, issue, notFound, outcome, preconditionFailed, tooManyRequests, validationOutcome } from './outcomes.ts';

describe('outcome to HTTP status', () => {
  test.each([
    [allOk, 200],
    [badRequest('x'), 400],
    [notFound('x'), 404],
    [conflict('x'), 409],
    [preconditionFailed('x'), 412],
    [businessRule('x'), 422],
    [tooManyRequests('x'), 429],
  ])('%# maps to %i', (o, status) => {
    expect(statusOf(o)).toBe(status);
  });

  test('an outcome without a kind is 400 when it holds an error and 200 otherwise', () => {
    expect(statusOf({ resourceType: 'OperationOutcome', issue: [issue('error', 'invalid', 'x')] })).toBe(400);
    expect(statusOf({ resourceType: 'OperationOutcome', issue: [issue('warning', 'invalid', 'x')] })).toBe(200);
  });

  test('validation outcome is 422 only with an error', () => {
    expect(statusOf(validationOutcome([issue('warning', 'code-invalid', 'w')]))).toBe(200);
    expect(statusOf(validationOutcome([issue('error', 'required', 'e', 'Task.for')]))).toBe(422);
  });
});

describe('normalize', () => {
  test('keeps the outcome of an OperationOutcomeError', () => {
    const o = notFound('Task/1 not found');
    expect(normalize(new OperationOutcomeError(o))).toBe(o);
  });

  test('never exposes the message of an unknown error', () => {
    const o = normalize(new Error('patient Jane Doe 1970-01-01'));
    expect(statusOf(o)).toBe(500);
    expect(JSON.stringify(o)).not.toContain('Jane');
  });

  test('issue carries the expression as a list', () => {
    expect(outcome('bad-request', [issue('error', 'value', 't', 'Task.status')]).issue[0].expression).toEqual(['Task.status']);
  });
});
