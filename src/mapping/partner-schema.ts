// Checks partner payloads against the partner's JSON Schema (draft 2020-12) before mapping.
// Each ajv error becomes an issue whose expression names the partner field
// (`client.phones[0].number`), never the value.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** `/client/phones/0/number` -> `client.phones[0].number` */
export function pointerToPath(pointer: string, prefix = ''): string {
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function describe(e: ErrorObject): { text: string; extra?: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { text: 'Required field is missing', extra: String(p.missingProperty) };
    case 'additionalProperties':
      return { text: 'Field is not part of the partner format', extra: String(p.additionalProperty) };
    case 'type':
      return { text: `Wrong type: expected ${String(p.type)}` };
    case 'enum':
      return { text: `Value is not one of the allowed codes (${(p.allowedValues as unknown[]).join(', ')})` };
    case 'format':
      return { text: `Value is not a valid ${String(p.format)}` };
    case 'pattern':
      return { text: 'Value does not have the expected form' };
    default:
      return { text: `Value breaks the schema rule "${e.keyword}"` };
  }
}

export type PartnerCheck = (data: unknown, prefix?: string) => OperationOutcomeIssue[];

export function compilePartnerSchema(schema: object): PartnerCheck {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (data, prefix = '') => {
    if (validate(data)) return [];
    const seen = new Set<string>();
    const issues: OperationOutcomeIssue[] = [];
    for (const e of validate.errors ?? []) {
      const { text, extra } = describe(e);
      let where = pointerToPath(e.instancePath, prefix);
      if (extra) where = where ? `${where}.${extra}` : extra;
      const key = `${where}|${text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue('error', e.keyword === 'required' ? 'required' : 'value', `${text} (partner schema)`, where || prefix || '$this'));
    }
    return issues;
  };
}
