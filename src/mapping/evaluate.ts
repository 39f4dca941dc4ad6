// Runs a compiled mapping. Pure: no I/O, no clock, no randomness; the same input gives the
// same output. All issues are collected; when any is an error nothing is returned.
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { hasErrors, issue } from '../fhir/outcomes.ts';
import { deterministicId } from './ids.ts';
import { mergeList } from './rules.ts';
import type { CompiledMapping, CompiledRole, EvalContext, FromContext, PartnerRecord, ResourceValidator } from './types.ts';

export interface ToFhirOptions {
  /** The partner (organisation) the record comes from; part of every id. */
  partner?: string;
  /** Checks each output resource against its profiles; omit to skip (benchmarks only). */
  validator?: ResourceValidator;
  /** Prefix for partner paths in issue expressions (e.g. `row[3]` for CSV rows). */
  prefix?: string;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

function at(prefix: string, path: string): string {
  return prefix ? `${prefix}.${path}` : path;
}

export function toFhir(m: CompiledMapping, record: unknown, options: ToFhirOptions = {}): { resources: Resource[]; issues: OperationOutcomeIssue[] } {
  const prefix = options.prefix ?? '';
  const schemaIssues = m.checkPartner(record, prefix);
  if (schemaIssues.length > 0) return { resources: [], issues: schemaIssues };
  const rec = record as PartnerRecord;
  const partner = options.partner ?? 'default';
  const recordKey = m.recordKey.map((p) => String(p.get(rec) ?? ''));
  const ctx: EvalContext = { mapping: m.name, partner, recordKey, ids: new Map(), idsByKey: new Map(), types: new Map(), issues: [], record: rec };

  // Ids first, so that references can be filled in whatever order roles are declared.
  const instances: { role: CompiledRole; scope: PartnerRecord; item: number; prefix: string }[] = [];
  for (const role of m.roles) {
    ctx.types.set(role.role, role.type);
    if (role.when && !present(role.when.get(rec))) continue;
    // Per-item resources: record key + item id. Resources with their own `id` (a client, an
    // organisation) are shared by every record that names them. Others: the record key.
    const base = [role.idAs ?? m.name, partner, ...(role.forEach || role.idParts.length === 0 ? recordKey : []), role.role];
    if (role.forEach) {
      const items = role.forEach.get(rec);
      if (!Array.isArray(items)) continue;
      const ids: string[] = [];
      const byKey = new Map<string, string>();
      ctx.idsByKey.set(role.role, byKey);
      items.forEach((item, i) => {
        const scope = item as PartnerRecord;
        const parts = role.idParts.map((p) => String(p.get(scope) ?? ''));
        const id = deterministicId([...base, ...parts]);
        ids.push(id);
        byKey.set(parts.join('|'), id);
        if (role.emit) instances.push({ role, scope, item: i, prefix: `${at(prefix, role.forEach?.text ?? '')}[${i}]` });
      });
      ctx.ids.set(role.role, ids);
    } else {
      ctx.ids.set(role.role, [deterministicId([...base, ...role.idParts.map((p) => String(p.get(rec) ?? ''))])]);
      if (role.emit) instances.push({ role, scope: rec, item: 0, prefix });
    }
  }

  const resources: Resource[] = [];
  const profilesOf: string[][] = [];
  for (const { role, scope, item, prefix: p } of instances) {
    const id = (ctx.ids.get(role.role) as string[])[item];
    const out: Record<string, unknown> = { resourceType: role.type, id };
    if (role.profiles.length > 0) out.meta = { profile: [...role.profiles] };
    for (const rule of role.rules) rule.toFhir(scope, out, ctx, p, item);
    resources.push(out as unknown as Resource);
    profilesOf.push(role.profiles);
  }
  if (hasErrors(ctx.issues)) return { resources: [], issues: ctx.issues };

  if (options.validator) {
    resources.forEach((resource, i) => {
      const result = (options.validator as ResourceValidator)(resource, profilesOf[i]);
      for (const found of result.issue ?? []) {
        if (found.severity === 'information') continue;
        ctx.issues.push({ ...found, details: { text: `${found.details?.text ?? found.diagnostics ?? found.code} (output of mapping "${m.name}")` } });
      }
    });
    if (hasErrors(ctx.issues)) return { resources: [], issues: ctx.issues };
  }
  return { resources, issues: ctx.issues };
}

interface Entry {
  resource: Resource;
  where: string;
}

/** Accepts a Bundle, a list of resources, or one resource. */
export function entriesOf(input: unknown): { entries: Entry[]; issues: OperationOutcomeIssue[] } {
  const isResource = (v: unknown): v is Resource => typeof v === 'object' && v !== null && typeof (v as Resource).resourceType === 'string';
  if (Array.isArray(input)) {
    const bad = input.findIndex((r) => !isResource(r));
    if (bad >= 0) return { entries: [], issues: [issue('error', 'structure', 'List item is not a FHIR resource', `[${bad}]`)] };
    return { entries: input.map((resource: Resource, i) => ({ resource, where: `[${i}]` })), issues: [] };
  }
  if (!isResource(input)) return { entries: [], issues: [issue('error', 'structure', 'Input is not a FHIR resource or Bundle', '$this')] };
  if (input.resourceType !== 'Bundle') return { entries: [{ resource: input, where: input.resourceType }], issues: [] };
  const entries: Entry[] = [];
  ((input as Bundle).entry ?? []).forEach((e, i) => {
    if (e.resource) entries.push({ resource: e.resource, where: `Bundle.entry[${i}].resource` });
  });
  return { entries, issues: [] };
}

function refKey(type: string, id: string): string {
  return `${type}/${id}`;
}

/** `Patient/1`, `https://ehr/fhir/Patient/1`, `Patient/1/_history/2` and `urn:uuid:..` (by fullUrl). */
function targetKey(reference: string, fullUrls: Map<string, string>): string {
  const byFullUrl = fullUrls.get(reference);
  if (byFullUrl) return byFullUrl;
  const parts = reference.split('/_history/')[0].split('/');
  return parts.slice(-2).join('/');
}

/** Which input resources play which role for one anchor resource, following references. */
function assignRoles(m: CompiledMapping, anchor: Entry, entries: Entry[], byKey: Map<string, Entry>, fullUrls: Map<string, string>): Map<string, Entry[]> {
  const assigned = new Map<string, Entry[]>([[m.anchor, [anchor]]]);
  const roleOf = new Map(m.roles.map((r) => [r.role, r]));
  // Each resource plays one role: the first role (in file order) that reaches it.
  const taken = new Set<Entry>([anchor]);
  const referencedRoles = new Set(m.roles.flatMap((r) => r.rules.flatMap((rule) => rule.refs.map((ref) => ref.role))));
  let progress = true;
  while (progress) {
    progress = false;
    for (const role of m.roles) {
      if (assigned.has(role.role)) continue;
      const found: Entry[] = [];
      const add = (e: Entry | undefined) => {
        if (e && e.resource.resourceType === role.type && !taken.has(e) && !found.includes(e)) found.push(e);
      };
      // Forward: a resolved role references this one.
      for (const [name, list] of assigned) {
        for (const rule of (roleOf.get(name) as CompiledRole).rules) {
          for (const ref of rule.refs) {
            if (ref.role !== role.role) continue;
            for (const e of list) {
              for (const value of ref.path.getAll(e.resource)) {
                const reference = (value as { reference?: string }).reference;
                if (reference) add(byKey.get(targetKey(reference, fullUrls)));
              }
            }
          }
        }
      }
      // Backward: this role references a resolved one. Only for roles that no role
      // references: shared targets (a clinic, a client) would otherwise pull in other records.
      const referenced = referencedRoles.has(role.role);
      for (const rule of referenced ? [] : role.rules) {
        for (const ref of rule.refs) {
          const targets = assigned.get(ref.role);
          if (!targets) continue;
          const keys = new Set(targets.map((t) => refKey(t.resource.resourceType, t.resource.id ?? '')));
          for (const e of entries) {
            if (e.resource.resourceType !== role.type) continue;
            const points = ref.path.getAll(e.resource).some((v) => {
              const reference = (v as { reference?: string }).reference;
              return reference !== undefined && keys.has(targetKey(reference, fullUrls));
            });
            if (points) add(e);
          }
        }
      }
      if (found.length > 0) {
        assigned.set(role.role, role.forEach ? found : [found[0]]);
        for (const e of assigned.get(role.role) ?? []) taken.add(e);
        progress = true;
      }
    }
  }
  return assigned;
}

export function fromFhir(m: CompiledMapping, input: unknown): { records: PartnerRecord[]; issues: OperationOutcomeIssue[] } {
  const { entries, issues } = entriesOf(input);
  if (issues.length > 0) return { records: [], issues };
  const byKey = new Map<string, Entry>();
  const fullUrls = new Map<string, string>();
  for (const e of entries) if (e.resource.id) byKey.set(refKey(e.resource.resourceType, e.resource.id), e);
  if (typeof input === 'object' && input !== null && (input as Bundle).resourceType === 'Bundle') {
    for (const e of (input as Bundle).entry ?? []) {
      if (e.fullUrl && e.resource?.id) fullUrls.set(e.fullUrl, refKey(e.resource.resourceType, e.resource.id));
    }
  }
  const anchorRole = m.roles.find((r) => r.role === m.anchor) as CompiledRole;
  const anchors = entries.filter((e) => e.resource.resourceType === anchorRole.type);
  if (anchors.length === 0) {
    return { records: [], issues: [issue('error', 'required', `Input holds no ${anchorRole.type} (the resource each "${m.name}" record starts from)`, '$this')] };
  }
  const records: PartnerRecord[] = [];
  const all: OperationOutcomeIssue[] = [];
  for (const anchor of anchors) {
    const ctx: FromContext = { issues: [] };
    const assigned = assignRoles(m, anchor, entries, byKey, fullUrls);
    const record: PartnerRecord = {};
    for (const role of m.roles) {
      const list = assigned.get(role.role);
      if (!list) continue;
      if (role.forEach) {
        const items = list.map((e) => {
          const item: PartnerRecord = {};
          for (const rule of role.rules) rule.fromFhir(e.resource as unknown as Record<string, unknown>, item, ctx, e.where);
          return item;
        });
        mergeList(role.forEach, record, items);
      } else {
        for (const rule of role.rules) rule.fromFhir(list[0].resource as unknown as Record<string, unknown>, record, ctx, list[0].where);
      }
    }
    const problems = [...ctx.issues];
    if (!hasErrors(problems)) {
      for (const found of m.checkPartner(record)) {
        const path = found.expression?.[0] ?? '';
        const bare = path.replace(/\[\d+\]/g, '');
        const source = m.partnerIndex.get(bare) ?? [...m.partnerIndex].find(([k]) => k.startsWith(`${bare}.`))?.[1];
        const hint = source ? `; it comes from ${source.fhir} (rule ${source.site.file}:${source.site.line})` : '';
        problems.push({ ...found, details: { text: `${found.details?.text ?? 'Invalid'}: the FHIR input does not give this partner field${hint}` } });
      }
    }
    if (hasErrors(problems)) {
      all.push(...problems.map((p) => ({ ...p, expression: p.expression ?? [anchor.where] })));
    } else {
      records.push(record);
      all.push(...problems);
    }
  }
  if (hasErrors(all)) return { records: [], issues: all };
  return { records, issues: all };
}

