import type { ConceptMap } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { compileConceptMap } from './concept-map.ts';

const base: ConceptMap = {
  resourceType: 'ConceptMap',
  url: 'urn:test:cm',
  status: 'active',
  group: [
    {
      target: 'http://t',
      element: [
        { code: 'a', target: [{ code: 'A', display: 'Ay', equivalence: 'equivalent' }] },
        { code: 'b', target: [{ code: 'B', equivalence: 'disjoint' }] },
        { code: 'c', target: [{ code: 'A', equivalence: 'equivalent' }] },
      ],
    },
  ],
};

describe('compileConceptMap', () => {
  it('maps partner codes to Codings and back, using only meaning-keeping targets', () => {
    const cm = compileConceptMap(base);
    expect(cm.forward('a')).toEqual({ system: 'http://t', code: 'A', display: 'Ay' });
    expect(cm.forward('b')).toBeUndefined();
    expect(cm.reverse({ system: 'http://t', code: 'A' })).toBe('a');
    expect(cm.reverse({ system: 'http://other', code: 'A' })).toBeUndefined();
  });

  it('applies group.unmapped fixed and provided', () => {
    const fixed = compileConceptMap({ ...base, group: [{ ...base.group![0], unmapped: { mode: 'fixed', code: 'Z' } }] });
    expect(fixed.forward('zzz')).toEqual({ system: 'http://t', code: 'Z' });
    expect(fixed.reverse({ system: 'http://t', code: 'Q' })).toBeUndefined();
    const provided = compileConceptMap({ ...base, group: [{ ...base.group![0], unmapped: { mode: 'provided' } }] });
    expect(provided.forward('q')).toEqual({ system: 'http://t', code: 'q' });
    expect(provided.reverse({ system: 'http://t', code: 'q' })).toBe('q');
  });

  it('refuses a table without url or target system', () => {
    expect(() => compileConceptMap({ ...base, url: undefined })).toThrow('url is required');
    expect(() => compileConceptMap({ ...base, group: [{ element: [] }] })).toThrow('group.target');
  });
});
