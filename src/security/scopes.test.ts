import { describe, expect, test } from 'vitest';
import { OperationOutcomeError } from '../fhir/index.ts';
import { allows, authorizerFor, narrowScopes, parseScopes } from './scopes.ts';

describe('SMART scopes', () => {
  test('v2 letters grant exactly their accesses', () => {
    const grants = parseScopes('system/Task.rs system/Patient.c');
    expect(allows(grants, 'Task', 'r')).toBe(true);
    expect(allows(grants, 'Task', 's')).toBe(true);
    expect(allows(grants, 'Task', 'u')).toBe(false);
    expect(allows(grants, 'Patient', 'c')).toBe(true);
    expect(allows(grants, 'Patient', 'r')).toBe(false);
    expect(allows(grants, 'Observation', 'r')).toBe(false);
  });

  test('wildcards and v1 forms', () => {
    expect(allows(parseScopes('system/*.cruds'), 'Consent', 'd')).toBe(true);
    expect(allows(parseScopes('system/Task.read'), 'Task', 's')).toBe(true);
    expect(allows(parseScopes('system/Task.read'), 'Task', 'c')).toBe(false);
    expect(allows(parseScopes('system/Task.write'), 'Task', 'u')).toBe(true);
  });

  test('malformed and non-system scopes grant nothing', () => {
    for (const scope of ['user/Task.rs', 'patient/*.cruds', 'system/Task.sr', 'system/Task.rr', 'system/task.rs', 'system/Task.x', 'launch', 'system/*.cruds '.repeat(0)]) {
      expect([scope, parseScopes(scope).length]).toEqual([scope, 0]);
    }
  });

  test('the authorizer throws 403 for a missing scope', () => {
    const authorize = authorizerFor(parseScopes('system/Task.rs'));
    expect(() => authorize('Task', 'r')).not.toThrow();
    expect(() => authorize('Task', 'c')).toThrow(OperationOutcomeError);
    try {
      authorize('Task', 'd');
    } catch (error) {
      expect((error as OperationOutcomeError).outcome.issue?.[0]?.code).toBe('forbidden');
    }
  });

  test('requested scopes are narrowed to what the client holds', () => {
    expect(narrowScopes(['system/Task.rs', 'system/Task.cud', 'system/*.rs'], ['system/Task.cruds'])).toEqual(['system/Task.rs', 'system/Task.cud']);
    expect(narrowScopes(['system/*.rs'], ['system/*.cruds'])).toEqual(['system/*.rs']);
    expect(narrowScopes(['user/Task.rs'], ['system/*.cruds'])).toEqual([]);
  });
});
