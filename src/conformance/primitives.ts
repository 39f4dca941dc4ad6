// FHIR R4 primitive types (datatypes.html#primitive, json.html#primitive): the JSON type
// each one takes and the anchored regular expression its value must match, plus the
// checks a regex cannot do (real calendar dates, 32-bit integer range, decimal source text).

/** A primitive check returns undefined when the value is fine, otherwise the reason. */
export type PrimitiveCheck = (value: unknown, sourceText: string | undefined) => string | undefined;

const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const MONTH = '(0[1-9]|1[0-2])';
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';

const anchored = (source: string): RegExp => new RegExp(`^(?:${source})$`);

// datatypes.html: the regexes given for each primitive type.
const PATTERNS: Record<string, RegExp> = {
  date: anchored(`${YEAR}(-${MONTH}(-${DAY})?)?`),
  dateTime: anchored(`${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?`),
  instant: anchored(`${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}`),
  time: anchored(TIME),
  code: /^[^\s]+( [^\s]+)*$/,
  id: /^[A-Za-z0-9\-.]{1,64}$/,
  oid: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/,
  uuid: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  uri: /^\S*$/,
  url: /^\S*$/,
  canonical: /^\S*$/,
  base64Binary: /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/,
  string: /^[ \r\n\t\S]+$/,
  markdown: /^\s*(\S|\s)*$/,
};

// json.html#primitive: decimal and integer are JSON numbers; this is the number grammar
// FHIR allows for decimal (no leading zeros, optional exponent).
const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function daysIn(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The regex allows 2023-02-31; the calendar does not. */
function realDate(value: string): boolean {
  if (value.length < 10) return true;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  return day <= daysIn(year, month);
}

function stringCheck(type: string): PrimitiveCheck {
  const pattern = PATTERNS[type] ?? PATTERNS.string;
  const dated = type === 'date' || type === 'dateTime' || type === 'instant';
  return (value) => {
    if (typeof value !== 'string') return `a ${type} must be a JSON string`;
    if (value.length === 0) return 'a string value must not be empty (json.html#primitive)';
    if (!pattern.test(value)) {
      if (type === 'dateTime' && /T/.test(value) && !/(Z|[+-]\d\d:\d\d)$/.test(value)) {
        return 'the value is not a valid dateTime: a dateTime with a time needs a time zone';
      }
      return `the value is not a valid ${type}`;
    }
    if (dated && !realDate(value)) return `the value is not a valid ${type}: no such day in the calendar`;
    return undefined;
  };
}

function integerCheck(type: string, min: number): PrimitiveCheck {
  return (value, source) => {
    if (typeof value !== 'number') return `a ${type} must be a JSON number`;
    if (source !== undefined && !INTEGER_TEXT.test(source)) return `the number is not a valid ${type} (its source text has a fraction or exponent)`;
    if (!Number.isInteger(value)) return `the number is not a valid ${type}`;
    if (value < min || value > INT32_MAX) return `the number is out of range for ${type} (${min}..${INT32_MAX})`;
    return undefined;
  };
}

const decimalCheck: PrimitiveCheck = (value, source) => {
  if (typeof value !== 'number') return 'a decimal must be a JSON number';
  if (source !== undefined && !DECIMAL_TEXT.test(source)) return 'the number is not a valid decimal (json.html#primitive)';
  if (!Number.isFinite(value)) return 'a decimal must be finite';
  return undefined;
};

const booleanCheck: PrimitiveCheck = (value) => (typeof value === 'boolean' ? undefined : 'a boolean must be a JSON true or false');

// narrative.html#xhtml: the div is XHTML in a div element in the XHTML namespace.
const xhtmlCheck: PrimitiveCheck = (value) => {
  if (typeof value !== 'string') return 'xhtml must be a JSON string';
  if (!/^\s*<div[\s>]/.test(value) || !/xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/.test(value)) {
    return 'the narrative must be a <div> in the XHTML namespace (txt-1, txt-2)';
  }
  return undefined;
};

const CHECKS = new Map<string, PrimitiveCheck>();
for (const t of ['string', 'code', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid', 'markdown', 'base64Binary', 'date', 'dateTime', 'instant', 'time']) {
  CHECKS.set(t, stringCheck(t));
}
CHECKS.set('boolean', booleanCheck);
CHECKS.set('integer', integerCheck('integer', INT32_MIN));
CHECKS.set('unsignedInt', integerCheck('unsignedInt', 0));
CHECKS.set('positiveInt', integerCheck('positiveInt', 1));
CHECKS.set('decimal', decimalCheck);
CHECKS.set('xhtml', xhtmlCheck);

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set(CHECKS.keys());

export function isPrimitiveType(code: string): boolean {
  return CHECKS.has(code);
}

export function primitiveCheck(code: string): PrimitiveCheck {
  return CHECKS.get(code) ?? CHECKS.get('string')!;
}
