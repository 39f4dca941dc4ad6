// The coordination platform's own settings: its Organization, the tenant holding the
// canonical record of every referral, and the disclosure policy.
import type { Reference, Organization } from '@medplum/fhirtypes';

export interface PlatformSettings {
  /** The gateway's FHIR base URL, ending in `/`. */
  baseUrl: string;
  /** The platform's Organization; requester of downstream Tasks. */
  organization: Reference<Organization>;
  /** Tenant holding source referrals and mirrors of every downstream Task (the platform's record). */
  tenant: string;
  /** Referrals are disclosed to an organisation only under a Consent in force. */
  requiresConsent: boolean;
  /**
   * Organisations reached through an EHR (configuration `ehrs[].organizations`): a referral an
   * organisation originates to one of them that is not a partner goes to that EHR via the outbox.
   */
  clinics?: readonly ClinicRoute[];
}

export interface ClinicRoute {
  /** `Organization/<id>` as the EHR knows it. */
  organization: string;
  /** The EHR connection's name (outbox destination `ehr:<name>`). */
  ehr: string;
}

/** Outbox payload asking an EHR deliverer to create an originated referral on the EHR. */
export interface OriginatedDelivery {
  kind: typeof ORIGINATED_DELIVERY;
  tenant: string;
  resourceType: 'Task';
  id: string;
  /** The clinic's Organization the referral is for. */
  organization: string;
  /** Every organisation that EHR routes (the EHR knows them by these references). */
  ehrOrganizations?: string[];
}

export const ORIGINATED_DELIVERY = 'originated-referral';

export function isOriginatedDelivery(value: unknown): value is OriginatedDelivery {
  const p = value as Partial<OriginatedDelivery> | null;
  return typeof p === 'object' && p !== null && p.kind === ORIGINATED_DELIVERY && typeof p.tenant === 'string' && typeof p.id === 'string' && typeof p.organization === 'string';
}

/** Business identifier of resources the gateway creates on an EHR for an originated referral: value `<type>/<platform id>`. */
export const GATEWAY_RESOURCE_ID = 'https://w3id.org/social-care-gateway/fhir/NamingSystem/gateway-resource-id';

/** Identifier system of the referral id partners see (also used by the partner mappings). */
export const PARTNER_REFERRAL_ID = 'https://w3id.org/social-care-gateway/fhir/NamingSystem/partner-referral-id';

/** Tag on resources taken in from an EHR (code `ehr:<connection name>`) or originated by a partner (`partner:<id>`). */
export const ORIGIN_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/CodeSystem/origin';

/** The platform's Organization when none is configured. */
export const DEFAULT_PLATFORM_ORGANIZATION = 'Organization/coordination-platform';
