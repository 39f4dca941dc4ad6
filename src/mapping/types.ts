// Types of the mapping engine: the compiled form of a mapping file and the results of map().
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { CompiledPath } from './path.ts';
import type { CompiledConceptMap } from './concept-map.ts';

export type Direction = 'to-fhir' | 'from-fhir';

/** Partner data: what a partner's JSON Schema describes. */
export type PartnerRecord = Record<string, unknown>;

/** Checks a FHIR resource against profiles (canonical URLs); the conformance engine fits. */
export type ResourceValidator = (resource: Resource, profiles: string[]) => OperationOutcome;

/** Where a rule was declared, for messages: `mappings/referral/mapping.yaml:42`. */
export interface RuleSite {
  file: string;
  line: number;
}

export interface EvalContext {
  mapping: string;
  partner: string;
  /** Record id parts (partner values) that every resource id of this record starts from. */
  recordKey: string[];
  /** Ids assigned to each role, per item index for forEach roles. */
  ids: Map<string, string[]>;
  /** Per-item roles: the item's own id parts (joined by '|') -> resource id. */
  idsByKey: Map<string, Map<string, string>>;
  types: Map<string, string>;
  issues: import('@medplum/fhirtypes').OperationOutcomeIssue[];
  /** The whole partner record (`%record` in compute expressions). */
  record: PartnerRecord;
}

/** A compiled rule: applies itself in one or both directions. */
export interface CompiledRule {
  site: RuleSite;
  /** Partner path of the rule, when it has one (for error locations). */
  partner?: CompiledPath;
  fhir?: CompiledPath;
  /** A fixed FHIR value, also used to pick list items when reading FHIR (see each groups). */
  fhirConst?: { path: CompiledPath; value: unknown };
  /** Roles this rule references (`ref`), with the FHIR path of the Reference. */
  refs: { role: string; path: CompiledPath }[];
  toFhir(scope: PartnerRecord, target: Record<string, unknown>, ctx: EvalContext, partnerPrefix: string, item: number): void;
  fromFhir(source: Record<string, unknown>, target: PartnerRecord, ctx: FromContext, fhirPrefix: string): void;
}

export interface FromContext {
  issues: import('@medplum/fhirtypes').OperationOutcomeIssue[];
}

export interface CompiledRole {
  role: string;
  type: Resource['resourceType'];
  profiles: string[];
  site: RuleSite;
  /** Partner list: one resource per item. */
  forEach?: CompiledPath;
  /** Partner value that must be present (not false) for the resource to exist. */
  when?: CompiledPath;
  /** Extra id parts, partner paths relative to the item (forEach) or the record. */
  idParts: CompiledPath[];
  rules: CompiledRule[];
  /** Derive ids as mapping `idAs` does, so two mappings name the same resource. */
  idAs?: string;
  /** false: only referenced (its id is derived), not produced; its rules still read FHIR. */
  emit: boolean;
}

export interface CompiledMapping {
  name: string;
  file: string;
  directions: Direction[];
  /** The role that stands for one partner record when reading FHIR (e.g. the Task). */
  anchor: string;
  recordKey: CompiledPath[];
  roles: CompiledRole[];
  conceptMaps: Map<string, CompiledConceptMap>;
  /** Partner path (no indices) -> rule site and FHIR path, to explain missing partner values. */
  partnerIndex: Map<string, { site: RuleSite; fhir: string; role: string }>;
  checkPartner(record: unknown, prefix?: string): import('@medplum/fhirtypes').OperationOutcomeIssue[];
  /** For CSV mappings: the tabular front end (see csv.ts). */
  csv?: import('./csv.ts').CompiledCsv;
}

/** to-fhir: `resources`; from-fhir: `record` (partner JSON, or CSV text for CSV mappings). */
export type MapResult = { resources?: Resource[]; record?: PartnerRecord | string; outcome: OperationOutcome };
