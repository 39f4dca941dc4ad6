// FHIR R4 search.html: URL parameters -> ParsedSearch. Unknown or unsupported parameters are
// ignored with a warning (Prefer: handling=lenient, the default) or rejected (handling=strict);
// a malformed value of a known parameter is always a 400 naming the parameter.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, issue, outcome } from '../fhir/index.ts';
import { dateRange } from './dates.ts';
import type { ParamKind, SearchParameters } from './parameters.ts';
import type { DatePrefix, Filter, FilterModifier, FilterValue, IncludeSpec, ParsedSearch, SortKey } from './query.ts';

export interface ParseOptions {
  strict: boolean;
  /** The server's own base URL: absolute references to it are matched as relative ones. */
  baseUrl: string;
  defaultCount?: number;
  maxCount?: number;
}

const PREFIXES = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sa', 'eb', 'ap']);
const MODIFIERS = new Set(['missing', 'not', 'exact', 'contains', 'below', 'above', 'text', 'identifier']);
const IGNORED = new Set(['_format', '_pretty']);
const SPECIAL_KINDS: Record<string, ParamKind> = { _id: 'token', _lastUpdated: 'date', _profile: 'uri', _tag: 'token', _security: 'token' };

export function parseSearch(resourceType: string, params: URLSearchParams, registry: SearchParameters, options: ParseOptions): ParsedSearch {
  const defaultCount = options.defaultCount ?? 20;
  const maxCount = options.maxCount ?? 1000;
  const warnings: OperationOutcomeIssue[] = [];
  const problems: OperationOutcomeIssue[] = [];
  const unsupported = (name: string, why: string) => {
    const text = `Search parameter '${name.slice(0, 64)}' ${why}`;
    (options.strict ? problems : warnings).push(issue(options.strict ? 'error' : 'warning', 'not-supported', text, name.slice(0, 64)));
  };

  const result: ParsedSearch = {
    resourceType,
    filters: [],
    sort: [],
    count: defaultCount,
    include: [],
    revinclude: [],
    total: 'none',
    summaryCount: false,
    warnings,
    canonicalQuery: new URLSearchParams(),
  };

  for (const [name, raw] of params) {
    if (IGNORED.has(name)) {
      continue;
    }
    if (name === '_cursor') {
      result.cursor = raw;
      continue;
    }
    result.canonicalQuery.append(name, raw);
    try {
      switch (name) {
        case '_count': {
          const n = Number(raw);
          if (!/^\d+$/.test(raw)) {
            throw bad('_count', 'must be a non-negative integer');
          }
          result.count = Math.min(n, maxCount);
          if (n === 0) {
            result.summaryCount = true;
          }
          continue;
        }
        case '_sort':
          result.sort = parseSort(raw, resourceType, registry);
          continue;
        case '_total':
          if (raw !== 'none' && raw !== 'accurate' && raw !== 'estimate') {
            throw bad('_total', 'must be none, estimate or accurate');
          }
          result.total = raw === 'none' ? 'none' : 'accurate';
          continue;
        case '_summary':
          if (raw === 'count') {
            result.summaryCount = true;
            result.total = 'accurate';
          } else if (raw !== 'false') {
            unsupported('_summary', `value '${raw.slice(0, 16)}' is not supported (only count)`);
          }
          continue;
        case '_include':
        case '_include:iterate':
          result.include.push(parseInclude(raw, name.endsWith(':iterate'), '_include', resourceType, registry));
          continue;
        case '_revinclude':
        case '_revinclude:iterate':
          result.revinclude.push(parseInclude(raw, name.endsWith(':iterate'), '_revinclude', undefined, registry));
          continue;
      }
      const filter = parseFilter(name, raw, resourceType, registry, options.baseUrl);
      if (typeof filter === 'string') {
        unsupported(name, filter);
      } else {
        result.filters.push(filter);
      }
    } catch (error) {
      if (error instanceof OperationOutcomeError) {
        problems.push(...error.outcome.issue);
      } else {
        throw error;
      }
    }
  }
  if (problems.length) {
    throw new OperationOutcomeError(outcome('bad-request', problems));
  }
  return result;
}

function bad(name: string, why: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(`Search parameter '${name}' ${why}`, name));
}

/** Returns a Filter, or a reason string when the parameter is unknown or unsupported. */
function parseFilter(name: string, raw: string, resourceType: string, registry: SearchParameters, baseUrl: string): Filter | string {
  if (name.includes('.')) {
    return 'uses chaining, which is not supported';
  }
  const [code, modifierText] = splitOnce(name, ':');
  const kind = SPECIAL_KINDS[code] ?? registry.get(resourceType, code)?.kind;
  if (!kind) {
    return `is not known for ${resourceType}`;
  }
  if (kind === 'composite' || kind === 'special') {
    return `of type ${kind} is not supported`;
  }
  let modifier: FilterModifier | undefined;
  let typeModifier: string | undefined;
  if (modifierText !== undefined) {
    if (MODIFIERS.has(modifierText)) {
      modifier = modifierText as FilterModifier;
    } else if (kind === 'reference' && /^[A-Z][A-Za-z]+$/.test(modifierText)) {
      typeModifier = modifierText;
    } else {
      return `modifier ':${modifierText.slice(0, 32)}' is not supported`;
    }
  }
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') {
      throw bad(name, 'with :missing must be true or false');
    }
    return { code, modifier, missing: raw === 'true', values: [] };
  }
  if ((modifier === 'exact' || modifier === 'contains') && kind !== 'string') {
    return `modifier ':${modifier}' applies to string parameters only`;
  }
  if (modifier === 'not' && kind !== 'token') {
    return `modifier ':not' applies to token parameters only`;
  }
  if (modifier === 'below' || modifier === 'above' || modifier === 'text' || modifier === 'identifier') {
    return `modifier ':${modifier}' is not supported`;
  }
  const values = splitValues(raw).map((value) => parseValue(name, code, kind, value, typeModifier, baseUrl));
  if (values.length === 0) {
    throw bad(name, 'has no value');
  }
  return { code, modifier, values };
}

function parseValue(name: string, code: string, kind: ParamKind, value: string, typeModifier: string | undefined, baseUrl: string): FilterValue {
  switch (kind) {
    case 'token': {
      if (value === '') {
        throw bad(name, 'has an empty value');
      }
      if (code === '_id') {
        return { kind: 'token', system: undefined, code: value };
      }
      const bar = value.indexOf('|');
      if (bar === -1) {
        return { kind: 'token', code: value };
      }
      const system = value.slice(0, bar);
      const tokenCode = value.slice(bar + 1);
      return { kind: 'token', system, code: tokenCode === '' ? undefined : tokenCode };
    }
    case 'reference':
      return parseReference(name, value, typeModifier, baseUrl);
    case 'string':
      return { kind: 'string', value };
    case 'uri':
      return { kind: 'uri', value };
    case 'date': {
      const { prefix, rest } = splitPrefix(value);
      const range = dateRange(rest);
      if (!range) {
        throw bad(name, 'has a value that is not a valid FHIR date');
      }
      return { kind: 'date', prefix, ...range, text: rest };
    }
    case 'number':
    case 'quantity': {
      const { prefix, rest } = splitPrefix(value);
      const numberText = rest.split('|')[0];
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(numberText)) {
        throw bad(name, 'has a value that is not a number');
      }
      // FHIR R4 search.html#number: the precision of the value sets the implicit range.
      const decimals = numberText.includes('.') ? numberText.split('.')[1].replace(/[eE].*$/, '').length : 0;
      const half = 0.5 * 10 ** -decimals;
      const n = Number(numberText);
      return prefix === 'eq' || prefix === 'ne' || prefix === 'ap'
        ? { kind: 'number', prefix, low: n - half, high: n + half, text: numberText }
        : { kind: 'number', prefix, low: n, high: n, text: numberText };
    }
    default:
      throw bad(name, 'cannot be searched');
  }
}

function parseReference(name: string, value: string, typeModifier: string | undefined, baseUrl: string): FilterValue {
  if (value === '') {
    throw bad(name, 'has an empty value');
  }
  let text = value;
  if (text.startsWith(baseUrl)) {
    text = text.slice(baseUrl.length);
  }
  if (/^https?:\/\//.test(text)) {
    return { kind: 'reference', url: text.replace(/\/_history\/[^/]+$/, '') };
  }
  const parts = text.split('/');
  if (parts.length === 2 && /^[A-Z][A-Za-z]+$/.test(parts[0]) && parts[1]) {
    if (typeModifier && typeModifier !== parts[0]) {
      throw bad(name, `names type ${parts[0]} but the modifier says ${typeModifier}`);
    }
    return { kind: 'reference', type: parts[0], id: parts[1] };
  }
  if (parts.length === 1 && /^[A-Za-z0-9\-.]{1,64}$/.test(text)) {
    return { kind: 'reference', type: typeModifier, id: text };
  }
  throw bad(name, 'has a value that is not a reference (Type/id, id or absolute URL)');
}

function parseSort(raw: string, resourceType: string, registry: SearchParameters): SortKey[] {
  return raw.split(',').map((key) => {
    const descending = key.startsWith('-');
    const code = descending ? key.slice(1) : key;
    if (code !== '_id' && code !== '_lastUpdated' && !registry.get(resourceType, code)) {
      throw bad('_sort', `names '${code.slice(0, 64)}', which is not a search parameter of ${resourceType}`);
    }
    const kind = SPECIAL_KINDS[code] ?? registry.get(resourceType, code)?.kind;
    if (kind !== 'token' && kind !== 'date' && kind !== 'string' && kind !== 'number' && kind !== 'reference' && kind !== 'uri') {
      throw bad('_sort', `cannot sort by '${code}'`);
    }
    return { code, descending };
  });
}

function parseInclude(raw: string, iterate: boolean, name: string, resourceType: string | undefined, registry: SearchParameters): IncludeSpec {
  const [sourceType, param, targetType] = raw.split(':');
  if (!sourceType || !param || (resourceType && sourceType !== resourceType && !iterate)) {
    throw bad(name, `must look like ${resourceType ?? 'Type'}:param[:TargetType]`);
  }
  const definition = registry.get(sourceType, param);
  if (!definition || definition.kind !== 'reference') {
    throw bad(name, `names '${sourceType}:${param}', which is not a reference search parameter`);
  }
  return { sourceType, param, targetType, iterate };
}

function splitPrefix(value: string): { prefix: DatePrefix; rest: string } {
  const head = value.slice(0, 2);
  if (PREFIXES.has(head) && !/^\d/.test(head)) {
    return { prefix: head as DatePrefix, rest: value.slice(2) };
  }
  return { prefix: 'eq', rest: value };
}

/** FHIR R4 search.html#escaping: commas separate OR values unless escaped as `\,`. */
function splitValues(raw: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      current += raw[i + 1];
      i++;
    } else if (c === ',') {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  return values;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
