import { describe, expect, it } from 'vitest';
import { compilePath } from './path.ts';

describe('compilePath', () => {
  it('sets and gets nested properties and list items, creating what is missing', () => {
    const p = compilePath('name[0].given[1]');
    const target: Record<string, unknown> = {};
    p.set(target, 'Ann');
    expect(target).toEqual({ name: [{ given: [null, 'Ann'] }] });
    expect(p.get(target)).toBe('Ann');
    expect(compilePath('name[1].family').get(target)).toBeUndefined();
  });

  it('selects list items by a key and creates the item with the key when missing', () => {
    const p = compilePath('identifier[system=urn:a].value');
    const target: Record<string, unknown> = { identifier: [{ system: 'urn:b', value: 'x' }] };
    p.set(target, '42');
    expect(target.identifier).toEqual([{ system: 'urn:b', value: 'x' }, { system: 'urn:a', value: '42' }]);
    expect(p.get(target)).toBe('42');
  });

  it('matches a dotted selector key through Coding lists', () => {
    const p = compilePath('category[coding.system=http://s].coding[0].code');
    const target: Record<string, unknown> = {};
    p.set(target, 'c1');
    expect(target).toEqual({ category: [{ coding: [{ system: 'http://s', code: 'c1' }] }] });
    expect(p.get({ category: [{ coding: [{ system: 'http://other' }] }, { coding: [{ system: 'http://s', code: 'c2' }] }] })).toBe('c2');
  });

  it('keeps URLs with dots and slashes inside selectors', () => {
    const p = compilePath('extension[url=http://hl7.org/fhir/StructureDefinition/x.y].valueCode');
    const target: Record<string, unknown> = {};
    p.set(target, 'client');
    expect(target).toEqual({ extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/x.y', valueCode: 'client' }] });
  });

  it('collects every value through lists with getAll', () => {
    const p = compilePath('output.valueReference');
    expect(p.getAll({ output: [{ valueReference: { reference: 'A/1' } }, {}, { valueReference: { reference: 'A/2' } }] })).toEqual([
      { reference: 'A/1' },
      { reference: 'A/2' },
    ]);
  });

  it('rejects malformed paths', () => {
    expect(() => compilePath('')).toThrow('empty path');
    expect(() => compilePath('name[')).toThrow('invalid path step');
    expect(() => compilePath('name[x]')).toThrow('use [n] or [key=value]');
    expect(() => compilePath('9abc')).toThrow('invalid path step');
  });
});
