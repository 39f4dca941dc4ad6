// Start-up check of the outbound URLs of each configured EHR (its FHIR base URL and, with
// SMART Backend Services, its token URL) by the same server-side request forgery rule as
// partner webhooks (security/url-guard.ts): a host on a loopback, link-local or private
// address is refused unless `security.urlAllowList` names it. A refused URL stops start-up
// with a message naming the EHR and which of its URLs, never the URL itself (it may carry
// credentials or a tenant key in its path or query).
import type { EhrConfig } from '../config/config.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { assertSafeUrl, type Resolver } from '../security/url-guard.ts';
import { safeErrorText } from './error-text.ts';

export async function assertEhrUrlsAllowed(ehrs: readonly EhrConfig[], allowList: readonly string[], resolve?: Resolver): Promise<void> {
  for (const [index, ehr] of ehrs.entries()) {
    const urls: [string, string, string][] = [['base URL', ehr.baseUrl, `ehrs[${index}].baseUrl`]];
    if (ehr.auth.kind === 'smart-backend') {
      urls.push(['token URL', ehr.auth.tokenUrl, `ehrs[${index}].auth.tokenUrl`]);
    }
    for (const [label, url, field] of urls) {
      try {
        await assertSafeUrl(url, allowList, resolve);
      } catch (error) {
        const reason = safeErrorText(error, 'its host could not be resolved');
        throw new OperationOutcomeError(badRequest(`Invalid configuration: the ${label} of EHR ${ehr.name} is refused: ${reason} (security.urlAllowList may name its host)`, field));
      }
    }
  }
}
