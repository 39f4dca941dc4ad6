import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { ehrConfig, ehrConfigDefaults } from './config.ts';

describe('ehrConfig', () => {
  it('merges the input over the defaults', () => {
    const config = ehrConfig({ baseUrl: 'https://ehr.example/fhir/', auth: { kind: 'none' }, timeoutMs: 500 });
    expect(config.timeoutMs).toBe(500);
    expect(config.maxAttempts).toBe(ehrConfigDefaults.maxAttempts);
  });

  it('reports every problem at once, each with its location', () => {
    let caught: unknown;
    try {
      ehrConfig({
        baseUrl: 'https://ehr.example/fhir',
        auth: { kind: 'smart-backend', tokenUrl: 'not a url', clientId: '', keyId: 'k', alg: 'HS256' as 'RS384', privateKeyPem: 'secret-pem', scope: 'system/*.rs' },
        maxAttempts: 0,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OperationOutcomeError);
    const issues = (caught as OperationOutcomeError).outcome.issue ?? [];
    expect(issues.map((i) => i.expression?.[0]).sort()).toEqual(['auth.alg', 'auth.clientId', 'auth.tokenUrl', 'baseUrl', 'maxAttempts']);
    expect(JSON.stringify(issues)).not.toContain('secret-pem');
  });
});
