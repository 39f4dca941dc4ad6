// Restricts report input to one organisation: the referrals it owns as of the period end
// (the owner compute-report.ts groups by: the latest Task.owner before the end) and the care
// plans it authors. Pure.
import type { ReferralReportInput } from '../workflow/report/report-types.ts';
import { instantMs } from '../workflow/report/instant.ts';
import { parseReference } from '../workflow/references.ts';

function isOrganization(reference: string | undefined, organization: string): boolean {
  const parsed = parseReference(reference);
  return parsed !== undefined && `${parsed.resourceType}/${parsed.id}` === organization;
}

/** `organization` is `Organization/id`; absolute references to it match too. */
export function forOrganization(input: ReferralReportInput, organization: string, periodEnd: string): ReferralReportInput {
  const endMs = instantMs(periodEnd);
  const referrals = input.referrals.filter((r) => {
    let owner: string | undefined;
    for (const v of r.versions) {
      if (instantMs(v.lastUpdated) < endMs && v.owner !== undefined) owner = v.owner;
    }
    return isOrganization(owner, organization);
  });
  // A summary group's period holds all its referrals' versions: its owner is the latest as of the end.
  const summaryGroups = input.summaryGroups?.filter((g) => isOrganization(g.owner, organization));
  const carePlans = input.carePlans.filter((cp) => isOrganization(cp.organization, organization));
  const out: ReferralReportInput = { ...input, referrals, carePlans };
  if (summaryGroups !== undefined) out.summaryGroups = summaryGroups;
  if (input.carePlanSummaries !== undefined) out.carePlanSummaries = input.carePlanSummaries.filter((s) => isOrganization(s.organization, organization));
  return out;
}
