// FHIR R4 datatypes.html#primitive: anchored formats, real calendar dates, number ranges.
import { describe, expect, test } from 'vitest';
import { primitiveCheck } from './primitives.ts';

const ok = (type: string, value: unknown, source?: string) => primitiveCheck(type)(value, source) === undefined;

describe('primitive formats (datatypes.html#primitive)', () => {
  test.each([
    ['date', '2023-02-28', true],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['date', '2023-04-31', false],
    ['date', '2023', true],
    ['date', '2023-13', false],
    ['date', '23-01-01', false],
    ['dateTime', '2023-01-01T10:00:00Z', true],
    ['dateTime', '2023-01-01T10:00:00+14:00', true],
    ['dateTime', '2023-01-01T10:00:00', false],
    ['dateTime', '2023-01-01T25:00:00Z', false],
    ['dateTime', '1900-02-29', false],
    ['dateTime', '2000-02-29', true],
    ['instant', '2023-01-01T10:00:00.123Z', true],
    ['instant', '2023-01-01', false],
    ['time', '23:59:60', true],
    ['time', '24:00:00', false],
    ['id', 'abc-1.2', true],
    ['id', 'a b', false],
    ['id', 'x'.repeat(65), false],
    ['code', 'in-progress', true],
    ['code', ' leading', false],
    ['code', 'two  spaces', false],
    ['uri', 'http://example.org/a', true],
    ['uri', 'has space', false],
    ['oid', 'urn:oid:1.2.3', true],
    ['oid', 'urn:oid:1.02', false],
    ['uuid', 'urn:uuid:c757873d-ec9a-4326-a141-556f43239520', true],
    ['uuid', 'urn:uuid:C757873D-EC9A-4326-A141-556F43239520', false],
    ['base64Binary', 'aGVsbG8=', true],
    ['base64Binary', 'not base64!', false],
    ['string', '', false],
    ['string', 'text', true],
    ['boolean', true, true],
    ['boolean', 'true', false],
    ['integer', 2147483647, true],
    ['integer', 2147483648, false],
    ['integer', 1.5, false],
    ['unsignedInt', 0, true],
    ['unsignedInt', -1, false],
    ['positiveInt', 0, false],
    ['decimal', 1.5, true],
    ['decimal', '1.5', false],
    ['xhtml', '<div xmlns="http://www.w3.org/1999/xhtml">x</div>', true],
    ['xhtml', '<p>x</p>', false],
  ])('%s %j valid: %s', (type, value, valid) => {
    expect(ok(type, value)).toBe(valid);
  });
});

describe('numbers on their source text (json.html#primitive)', () => {
  test.each([
    ['integer', 1, '1', true],
    ['integer', 1, '1.0', false],
    ['integer', 100, '1e2', false],
    ['decimal', 1.5, '1.50', true],
    ['decimal', 100, '1e2', true],
    ['positiveInt', 1, '1.0', false],
  ])('%s written %s (source %s) valid: %s', (type, value, source, valid) => {
    expect(ok(type, value, source)).toBe(valid);
  });
});
