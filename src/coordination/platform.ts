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
}

/** Identifier system of the referral id partners see (also used by the partner mappings). */
export const PARTNER_REFERRAL_ID = 'https://w3id.org/social-care-gateway/fhir/NamingSystem/partner-referral-id';

/** Tag on resources taken in from an EHR: code `ehr:<connection name>`. */
export const ORIGIN_SYSTEM = 'https://w3id.org/social-care-gateway/fhir/CodeSystem/origin';

/** The platform's Organization when none is configured. */
export const DEFAULT_PLATFORM_ORGANIZATION = 'Organization/coordination-platform';
