// From the gateway configuration of an EHR to the client's input: the private key is read
// from its file or environment variable here, once, and goes nowhere but the token provider.
import { readFileSync } from 'node:fs';
import type { EhrConfig as GatewayEhrConfig } from '../config/config.ts';
import type { EhrConfigInput } from '../ehr/config.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { badRequest } from '../fhir/outcomes.ts';

export function ehrClientInput(ehr: GatewayEhrConfig, env: NodeJS.ProcessEnv = process.env): EhrConfigInput {
  const baseUrl = ehr.baseUrl.endsWith('/') ? ehr.baseUrl : `${ehr.baseUrl}/`;
  if (ehr.auth.kind === 'none') {
    return { baseUrl, auth: { kind: 'none' }, timeoutMs: ehr.timeoutMs };
  }
  const auth = ehr.auth;
  let privateKeyPem: string | undefined;
  if (auth.privateKeyFile) {
    try {
      privateKeyPem = readFileSync(auth.privateKeyFile, 'utf8');
    } catch {
      throw new OperationOutcomeError(badRequest(`The private key file of EHR ${ehr.name} cannot be read`, 'ehrs.auth.privateKeyFile'));
    }
  } else if (auth.privateKeyEnv) {
    privateKeyPem = env[auth.privateKeyEnv];
  }
  if (!privateKeyPem) {
    throw new OperationOutcomeError(badRequest(`No private key for EHR ${ehr.name}: set privateKeyFile or privateKeyEnv`, 'ehrs.auth'));
  }
  return {
    baseUrl,
    timeoutMs: ehr.timeoutMs,
    auth: { kind: 'smart-backend', tokenUrl: auth.tokenUrl, clientId: auth.clientId, keyId: auth.keyId, alg: auth.alg, scope: auth.scope, privateKeyPem },
  };
}
