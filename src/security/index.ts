// What other parts of the gateway use from the security layer: the outbound URL guard for
// webhooks and EHR endpoints, and the audit of outbound EHR calls.
export { assertSafeUrl, assertSameOriginRedirect, isRefusedAddress, type Resolver } from './url-guard.ts';
export { auditOutbound, verifyAuditChain, type OutboundCall, type VerifyResult } from './audit-trail.ts';
export { authorizerFor, parseScopes, allows } from './scopes.ts';
