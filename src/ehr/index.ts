// The outbound EHR client: configuration, the EhrClient port and its HTTP implementation.
export type { EhrAuth, EhrConfig, EhrConfigInput, SmartBackendAuth } from './config.ts';
export { ehrConfig, ehrConfigDefaults } from './config.ts';
export type { BusinessIdentifier, CallOptions, ConditionalCreateResult, EhrClient, SearchPage, TransactionOptions } from './ehr-client.ts';
export { createEhrClient } from './http-ehr-client.ts';
export { isEhrConflict, isEhrNotFound, isEhrTransient, type EhrOperation } from './failures.ts';
export type { CallDeps, TokenProvider } from './call-executor.ts';
