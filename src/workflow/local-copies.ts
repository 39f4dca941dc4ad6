// SDOHCC STU3 intermediary rule refer-1 (SDOHCC.md "What the IG requires of an
// intermediary"): keep a local copy of every resource the source Task and ServiceRequest
// reference. Planning which references to copy and turning fetched resources into copies
// are pure; fetching them is the sync engine's job.
import type { Meta, OperationOutcomeIssue, Organization, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';
import { collectReferences, rewriteReferences } from './reference-rewrite.ts';
import { deterministicId, isAbsolute, parseReference, toAbsolute } from './references.ts';

export interface PlatformContext {
  /** Base URL of the gateway's FHIR API, where local copies and downstream resources live. */
  baseUrl: string;
  /** The coordination platform's own Organization (requester of downstream Tasks). */
  organization: Reference<Organization>;
}

export interface SourceReferral {
  task: Task;
  serviceRequest: ServiceRequest;
  /** Base URL of the server holding the source Task; undefined when it was posted to the gateway. */
  taskBase?: string;
}

export interface CopyEntry {
  /** Absolute URL of the original resource on the source's server. */
  original: string;
  resourceType: string;
  localId: string;
  /** Relative reference to the copy on the gateway. */
  localReference: string;
  /** Where the source Task / ServiceRequest refers to it. */
  paths: string[];
}

export function sameBase(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) {
    return false;
  }
  const norm = (s: string) => new URL(s).toString().replace(/\/+$/, '');
  return norm(a) === norm(b);
}

/** Base URL of the server holding the source ServiceRequest (undefined when local). */
export function serviceRequestBase(source: SourceReferral): string | undefined {
  const focus = source.task.focus?.reference;
  if (focus === undefined) {
    return source.taskBase;
  }
  const abs = toAbsolute(focus, source.taskBase);
  return isAbsolute(abs) ? parseReference(abs)?.base : undefined;
}

/** The references refer-1 copies: what a target needs to act on the referral. */
function referencesToCopy(source: SourceReferral): { reference: string; path: string; base: string | undefined }[] {
  const { task, serviceRequest: sr } = source;
  const srBase = serviceRequestBase(source);
  const fromTask = collectReferences({ resourceType: 'Task', for: task.for, requester: task.requester, focus: task.focus, input: task.input });
  const fromSr = collectReferences({
    resourceType: 'ServiceRequest',
    subject: sr.subject,
    requester: sr.requester,
    reasonReference: sr.reasonReference,
    supportingInfo: sr.supportingInfo,
    extension: sr.extension,
  });
  return [...fromTask.map((r) => ({ ...r, base: source.taskBase })), ...fromSr.map((r) => ({ ...r, base: srBase }))];
}

/** Which referenced resources are remote and need a local copy, with deterministic local ids. */
export function planLocalCopies(source: SourceReferral, ctx: PlatformContext): CopyEntry[] {
  const byOriginal = new Map<string, CopyEntry>();
  for (const { reference, path, base } of referencesToCopy(source)) {
    const abs = toAbsolute(reference, base);
    const parsed = parseReference(abs);
    if (!isAbsolute(abs) || !parsed || sameBase(parsed.base, ctx.baseUrl)) {
      continue; // already on the gateway (or contained): nothing to copy
    }
    const existing = byOriginal.get(abs);
    if (existing) {
      existing.paths.push(path);
      continue;
    }
    const localId = deterministicId('copy', abs);
    byOriginal.set(abs, { original: abs, resourceType: parsed.resourceType, localId, localReference: `${parsed.resourceType}/${localId}`, paths: [path] });
  }
  return [...byOriginal.values()];
}

/** A mapper from original (absolute) references to the local copies of the plan. */
export function toLocalCopy(plan: readonly CopyEntry[]): (absolute: string) => string | undefined {
  const map = new Map(plan.map((e) => [e.original, e.localReference]));
  return (absolute) => map.get(absolute);
}

/**
 * The local copies from the fetched originals (keyed by absolute URL). References inside a
 * copy are made absolute against its origin, then pointed at other copies of the plan.
 * `meta.source` keeps the original URL (FHIR R4 Meta.source: where the resource came from).
 */
export function buildLocalCopies(
  plan: readonly CopyEntry[],
  fetched: ReadonlyMap<string, Resource>,
): { copies: Resource[]; issues: OperationOutcomeIssue[] } {
  const local = toLocalCopy(plan);
  const copies: Resource[] = [];
  const issues: OperationOutcomeIssue[] = [];
  for (const entry of plan) {
    const original = fetched.get(entry.original);
    if (!original || original.resourceType !== entry.resourceType) {
      issues.push(
        issue('error', 'not-found', `SDOHCC refer-1: referenced ${entry.resourceType} is not available for a local copy`, entry.paths),
      );
      continue;
    }
    const originBase = parseReference(entry.original)?.base;
    const rewritten = rewriteReferences(original, (ref) => {
      const abs = toAbsolute(ref, originBase);
      return local(abs) ?? abs;
    });
    const meta: Meta = { source: entry.original };
    if (original.meta?.profile) meta.profile = original.meta.profile;
    if (original.meta?.security) meta.security = original.meta.security;
    if (original.meta?.tag) meta.tag = original.meta.tag;
    copies.push({ ...rewritten, id: entry.localId, meta } as Resource);
  }
  return { copies, issues };
}
