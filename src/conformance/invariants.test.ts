// Invariants: native ele-1, ext-1, dom-2..dom-6, ref-1 (equal to their R4 FHIRPath), and
// FHIRPath constraints from the snapshots (natively for the common subset, else the
// fhirpath package); what cannot be evaluated is information, never an error.
import { describe, expect, test } from 'vitest';
import { baseConformance, issuesOf } from '../../test/conformance/support.ts';

const validate = async (r: unknown) => (await baseConformance()).validate(r);
const task = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Task', status: 'draft', intent: 'order', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">t</div>' }, ...extra });
const ext = { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' };

describe('native invariants', () => {
  test.each([
    ['ele-1: a primitive with neither value nor extensions', task({ _description: { id: 'd' } }), 'Task.description'],
    ['ext-1: an extension with both a value and extensions', task({ extension: [{ ...ext, extension: [ext] }] }), 'Task.extension[0]'],
    ['ext-1: an extension with neither', task({ extension: [{ url: 'http://example.org/x' }] }), 'Task.extension[0]'],
    ['dom-2: a contained resource with contained resources', task({ contained: [{ resourceType: 'Patient', id: 'p', contained: [{ resourceType: 'Patient', id: 'q' }] }], for: { reference: '#p' } }), 'Task.contained[0]'],
    ['dom-3: a contained resource nothing refers to', task({ contained: [{ resourceType: 'Patient', id: 'p' }] }), 'Task.contained[0]'],
    ['dom-4: a contained resource with meta.versionId', task({ contained: [{ resourceType: 'Patient', id: 'p', meta: { versionId: '1' } }], for: { reference: '#p' } }), 'Task.contained[0]'],
    ['dom-5: a contained resource with a security label', task({ contained: [{ resourceType: 'Patient', id: 'p', meta: { security: [{ code: 'R' }] } }], for: { reference: '#p' } }), 'Task.contained[0]'],
    ['ref-1: a local reference to nothing contained', task({ for: { reference: '#missing' } }), 'Task.for'],
  ])('%s', async (_name, resource, expression) => {
    expect(issuesOf(await validate(resource))).toContain(expression);
  });

  test('dom-3 is satisfied by a reference from the container, or from the contained resource to #', async () => {
    expect(issuesOf(await validate(task({ contained: [{ resourceType: 'Patient', id: 'p' }], for: { reference: '#p' } })))).toEqual([]);
    const back = task({ contained: [{ resourceType: 'Provenance', id: 'v', target: [{ reference: '#' }], recorded: '2024-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] }] });
    expect(issuesOf(await validate(back))).toEqual([]);
  });

  test('dom-6: a resource without narrative is a best-practice warning', async () => {
    const { text: _t, ...bare } = task();
    expect(issuesOf(await validate(bare), 'warning')).toContain('Task');
    expect(issuesOf(await validate(task()), 'warning')).toEqual([]);
  });
});

describe('FHIRPath invariants from the snapshot', () => {
  test.each([
    ['inv-1 (Task): lastModified before authoredOn', task({ authoredOn: '2024-01-02T00:00:00Z', lastModified: '2024-01-01T00:00:00Z' }), 'Task'],
    ['per-1 (Period): end before start', task({ executionPeriod: { start: '2024-01-02', end: '2024-01-01' } }), 'Task.executionPeriod'],
    ['qty-3 (Quantity): a code without a system', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 1, code: 'mg' } }, 'Observation.value.ofType(Quantity)'],
    ['obs-6 (Observation): value and dataAbsentReason together', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'v', dataAbsentReason: { text: 'unknown' } }, 'Observation'],
  ])('%s', async (_name, resource, expression) => {
    expect(issuesOf(await validate(resource))).toContain(expression);
  });

  test('per-1 with different precisions is decided by the fhirpath package (FHIRPath N1 comparison)', async () => {
    expect(issuesOf(await validate(task({ executionPeriod: { start: '2024-01-02', end: '2024-01-01T10:00:00Z' } })))).toContain('Task.executionPeriod');
    // Equal up to the shorter precision: undecided (empty), so not a failure.
    expect(issuesOf(await validate(task({ executionPeriod: { start: '2024-01-01', end: '2024-01-01T10:00:00Z' } })))).toEqual([]);
  });
});
