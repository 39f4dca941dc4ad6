// Compiles a parsed mapping file into closures, once, at start. Every problem found is
// reported with the file, the line and the reason; a mapping with any problem does not load.
import type { ConceptMap, Resource } from '@medplum/fhirtypes';
import { compileConceptMap } from './concept-map.ts';
import type { CompiledConceptMap } from './concept-map.ts';
import { compilePartnerSchema } from './partner-schema.ts';
import { compilePath } from './path.ts';
import type { CompiledPath } from './path.ts';
import { compileRule, isRuleObject, RuleCompileError } from './rules.ts';
import type { SourceDoc, SourceProblem } from './source.ts';
import type { CompiledMapping, CompiledRole, Direction, RuleSite } from './types.ts';

export interface MappingInput {
  doc: SourceDoc;
  /** The partner JSON Schema named by the file's `schema`. */
  schema: object;
  /** ConceptMaps named by the file's `conceptMaps`, by the name used there. */
  conceptMaps: { ref: string; resource: ConceptMap }[];
}

const TOP_KEYS = new Set(['name', 'description', 'version', 'directions', 'schema', 'conceptMaps', 'anchor', 'recordKey', 'resources', 'format', 'tables']);
const ROLE_KEYS = new Set(['role', 'type', 'profiles', 'forEach', 'when', 'id', 'idAs', 'emit', 'rules', 'description']);

export class MappingCompileError extends Error {
  readonly problems: SourceProblem[];
  constructor(problems: SourceProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.reason}`).join('\n'));
    this.name = 'MappingCompileError';
    this.problems = problems;
  }
}

function asStringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

export function compileMapping(input: MappingInput): CompiledMapping {
  const { doc } = input;
  const problems: SourceProblem[] = [];
  const report = (node: unknown, reason: string) =>
    problems.push({ file: doc.file, line: typeof node === 'object' && node !== null ? doc.lineOf(node) : 0, reason });
  const top = doc.value;
  if (!isRuleObject(top)) throw new MappingCompileError([{ file: doc.file, line: 1, reason: 'a mapping file holds an object' }]);
  for (const key of Object.keys(top)) if (!TOP_KEYS.has(key)) report(top, `unknown key "${key}"`);
  const name = typeof top.name === 'string' ? top.name : (report(top, '"name" is required'), '');
  const directions = (asStringList(top.directions) ?? ['to-fhir', 'from-fhir']) as Direction[];
  if (!directions.every((d) => d === 'to-fhir' || d === 'from-fhir')) report(top, '"directions" lists to-fhir and/or from-fhir');

  const conceptMaps = new Map<string, CompiledConceptMap>();
  for (const { ref, resource } of input.conceptMaps) {
    try {
      const compiled = compileConceptMap(resource);
      conceptMaps.set(ref, compiled);
      conceptMaps.set(compiled.url, compiled);
      if (resource.name) conceptMaps.set(resource.name, compiled);
      if (resource.id) conceptMaps.set(resource.id, compiled);
    } catch (e) {
      report(top.conceptMaps ?? top, `ConceptMap "${ref}": ${(e as Error).message}`);
    }
  }

  let checkPartner: CompiledMapping['checkPartner'] = () => [];
  try {
    checkPartner = compilePartnerSchema(input.schema);
  } catch (e) {
    report(top, `partner schema "${String(top.schema)}": ${(e as Error).message}`);
  }

  const path = (node: object, text: unknown, what: string): CompiledPath | undefined => {
    if (typeof text !== 'string') {
      report(node, `${what} must be a path string`);
      return undefined;
    }
    try {
      return compilePath(text);
    } catch (e) {
      report(node, `${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const recordKey = (asStringList(top.recordKey) ?? (report(top, '"recordKey" (partner path(s) of the record id) is required'), []))
    .map((k) => path(top, k, 'recordKey'))
    .filter((p): p is CompiledPath => p !== undefined);

  const rawRoles = Array.isArray(top.resources) ? top.resources : (report(top, '"resources" must be a list'), []);
  const roleInfo = new Map<string, { type: string; forEach?: string }>();
  for (const raw of rawRoles) {
    if (!isRuleObject(raw) || typeof raw.role !== 'string' || typeof raw.type !== 'string') {
      report(raw, 'each resource needs "role" and "type"');
      continue;
    }
    if (roleInfo.has(raw.role)) report(raw, `role "${raw.role}" is declared twice`);
    roleInfo.set(raw.role, { type: raw.type, forEach: typeof raw.forEach === 'string' ? raw.forEach : undefined });
  }

  const partnerIndex = new Map<string, { site: RuleSite; fhir: string; role: string }>();
  const roles: CompiledRole[] = [];
  for (const raw of rawRoles) {
    if (!isRuleObject(raw) || typeof raw.role !== 'string' || typeof raw.type !== 'string') continue;
    for (const key of Object.keys(raw)) if (!ROLE_KEYS.has(key)) report(raw, `unknown key "${key}" in resource "${raw.role}"`);
    const site = { file: doc.file, line: doc.lineOf(raw) };
    const forEach = raw.forEach === undefined ? undefined : path(raw, raw.forEach, 'forEach');
    const when = raw.when === undefined ? undefined : path(raw, raw.when, 'when');
    const idParts = (raw.id === undefined ? [] : (asStringList(raw.id) ?? (report(raw, '"id" lists partner paths'), [])))
      .map((p) => path(raw, p, 'id'))
      .filter((p): p is CompiledPath => p !== undefined);
    if (forEach && idParts.length === 0) report(raw, `resource "${raw.role}" is made per item: "id" must name the item's identifier`);
    const profiles = asStringList(raw.profiles ?? []) ?? (report(raw, '"profiles" lists canonical URLs'), []);
    const rules = [];
    const rawRules = Array.isArray(raw.rules) ? raw.rules : (report(raw, `resource "${raw.role}" needs a "rules" list`), []);
    for (const rawRule of rawRules) {
      try {
        rules.push(
          compileRule(rawRule, {
            file: doc.file,
            lineOf: doc.lineOf,
            conceptMaps,
            roles: roleInfo,
            group: forEach ? forEach.text : '',
            partnerIndex,
            role: raw.role,
            fhirPrefix: raw.type,
          }),
        );
      } catch (e) {
        if (e instanceof RuleCompileError) problems.push({ file: e.site.file, line: e.site.line, reason: e.message });
        else throw e;
      }
    }
    if (raw.idAs !== undefined && typeof raw.idAs !== 'string') report(raw, '"idAs" names the mapping whose ids this role shares');
    if (raw.emit !== undefined && typeof raw.emit !== 'boolean') report(raw, '"emit" is true or false');
    roles.push({
      role: raw.role,
      type: raw.type as Resource['resourceType'],
      profiles,
      site,
      forEach,
      when,
      idParts,
      rules,
      idAs: typeof raw.idAs === 'string' ? raw.idAs : undefined,
      emit: raw.emit !== false,
    });
  }

  const anchor = typeof top.anchor === 'string' ? top.anchor : roles[0]?.role;
  if (!anchor || !roleInfo.has(anchor)) report(top, `"anchor" must name a role (the resource that stands for one record)`);
  else if (roleInfo.get(anchor)?.forEach) report(top, '"anchor" cannot be a per-item resource');

  if (problems.length > 0) throw new MappingCompileError(problems);
  return {
    name,
    file: doc.file,
    directions,
    anchor: anchor as string,
    recordKey,
    roles,
    conceptMaps,
    partnerIndex,
    checkPartner,
  };
}
