// Bindings (terminologies.html#strength) and local terminology: required = error,
// extensible = warning, unknown value sets and external code systems = "could not check".
import { describe, expect, test } from 'vitest';
import { baseConformance, issuesOf } from '../../test/conformance/support.ts';

const validate = async (r: unknown) => (await baseConformance()).validate(r);
const cond = (extra: Record<string, unknown>) => ({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, ...extra });
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

describe('binding strengths', () => {
  test.each([
    ['required code (Task.status)', { resourceType: 'Task', status: 'nope', intent: 'order' }, 'error', 'Task.status'],
    ['required CodeableConcept (Condition.clinicalStatus)', cond({ clinicalStatus: cc(CLINICAL, 'gone') }), 'error', 'Condition.clinicalStatus.coding[0]'],
    ['required CodeableConcept with text only', cond({ clinicalStatus: { text: 'active' } }), 'error', 'Condition.clinicalStatus'],
    ['extensible CodeableConcept (Condition.category)', cond({ category: [cc('http://example.org/cs', 'x')] }), 'warning', 'Condition.category[0].coding[0]'],
    ['unknown code in a complete local code system', cond({ severity: cc(CLINICAL, 'gone') }), 'error', 'Condition.severity.coding[0].code'],
  ])('%s', async (_name, resource, severity, expression) => {
    expect(issuesOf(await validate(resource), severity)).toContain(expression);
  });

  test('a code in the value set passes; one good coding is enough', async () => {
    const r = cond({ clinicalStatus: { coding: [{ system: 'http://example.org/local', code: 'x' }, { system: CLINICAL, code: 'active' }] } });
    expect(issuesOf(await validate(r))).toEqual([]);
  });

  test('preferred and example bindings are not checked', async () => {
    const r = cond({ code: cc('http://example.org/cs', 'anything'), bodySite: [cc('http://example.org/cs', 'x')] });
    expect(issuesOf(await validate(r), 'error')).toEqual([]);
    expect(issuesOf(await validate(r), 'warning')).not.toContain('Condition.code.coding[0]');
  });

  test('a value set over an external code system is "could not check" information', async () => {
    // Attachment.contentType has a required binding to mimetypes (urn:ietf:bcp:13, not local).
    const r = { resourceType: 'Patient', photo: [{ contentType: 'image/x-unheard-of', url: 'http://example.org/p.png' }] };
    const o = await validate(r);
    const info = (o.issue ?? []).filter((i) => i.severity === 'information' && /Could not check the code/.test(i.details?.text ?? ''));
    expect(info.map((i) => i.expression?.[0])).toContain('Patient.photo[0].contentType');
    expect(issuesOf(o)).toEqual([]);
  });
});
