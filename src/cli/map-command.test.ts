import { mkdtemp, mkdir, writeFile, cp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStructuralValidator, shippedMappingsDir } from '../mapping/index.ts';
import { runMap } from './map-command.ts';

const examples = path.resolve(shippedMappingsDir(), '..', 'examples', 'partner');
// Structure checks keep these tests fast; the golden suite runs profile validation.
const deps = { validator: createStructuralValidator() };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out: () => out.join(''), err: () => err.join('') };
}

describe('gateway map', () => {
  it('maps a partner file to a FHIR transaction Bundle', async () => {
    const c = capture();
    const code = await runMap(['referral', '--to-fhir', path.join(examples, 'referral.json')], c.io, deps);
    expect(code).toBe(0);
    const bundle = JSON.parse(c.out());
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toContain('Task');
  });

  it('maps a FHIR Bundle back to partner JSON and CSV', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'map-cli-'));
    const first = capture();
    await runMap(['case-update', '--to-fhir', path.join(examples, 'case-update.json')], first.io, deps);
    await writeFile(path.join(dir, 'bundle.json'), first.out());
    const back = capture();
    expect(await runMap(['case-update', '--from-fhir', path.join(dir, 'bundle.json')], back.io, deps)).toBe(0);
    expect(JSON.parse(back.out())).toEqual(JSON.parse(await readFile(path.join(examples, 'case-update.json'), 'utf8')));
    const csv = capture();
    expect(await runMap(['referral-csv', '--from-fhir', path.join(dir, 'bundle.json')], csv.io, deps)).toBe(0);
    expect(csv.out().split('\n')[0]).toMatch(/^referral_id,client_id,action,/);
  });

  it('exits 1 with an OperationOutcome on bad input', async () => {
    const c = capture();
    const code = await runMap(['referral', '--to-fhir', path.join(examples, 'case-update.json')], c.io, deps);
    expect(code).toBe(1);
    const o = JSON.parse(c.out());
    expect(o.resourceType).toBe('OperationOutcome');
    expect(o.issue.some((i: { expression?: string[] }) => i.expression?.[0] === 'client')).toBe(true);
  });

  it('exits 1 when no direction is given, and for a missing file', async () => {
    const a = capture();
    expect(await runMap(['referral', path.join(examples, 'referral.json')], a.io, deps)).toBe(1);
    const b = capture();
    expect(await runMap(['referral', '--to-fhir', path.join(examples, 'nope.json')], b.io, deps)).toBe(1);
    expect(JSON.parse(b.out()).issue[0].details.text).toBe('Cannot read the input file');
  });

  it('runs the golden tests of one mapping', async () => {
    const c = capture();
    expect(await runMap(['test', 'case-update'], c.io, deps)).toBe(0);
    expect(c.out()).toMatch(/^ok {3}case-update decline-with-reason to-fhir$/m);
    expect(c.out()).toMatch(/6 passed, 0 failed/);
  });

  it('runs golden tests of user mappings and fails on a wrong expectation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'map-cli-'));
    const target = path.join(dir, 'my-updates');
    await cp(path.join(shippedMappingsDir(), 'case-update'), target, { recursive: true });
    const file = path.join(target, 'mapping.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('name: case-update', 'name: my-updates').replaceAll('../_concept-maps/', `${path.join(shippedMappingsDir(), '_concept-maps')}/`));
    const golden = path.join(target, 'tests', 'decline-with-reason.partner.json');
    await writeFile(golden, (await readFile(golden, 'utf8')).replace('moved out of our service area', 'moved away'));
    const c = capture();
    expect(await runMap(['test', 'my-updates', '--mappings', dir], c.io, deps)).toBe(1);
    expect(c.out()).toMatch(/^FAIL my-updates decline-with-reason to-fhir: differs at entry\[0\]\.resource\.statusReason\.text$/m);
  });

  it('fails with file:line when a mapping file is invalid', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'map-cli-'));
    await mkdir(path.join(dir, 'bad'));
    await writeFile(path.join(dir, 'bad', 'schema.json'), '{}');
    await writeFile(path.join(dir, 'bad', 'mapping.yaml'), 'name: bad\nschema: schema.json\nrecordKey: id\nresources:\n  - role: a\n    type: Task\n    rules:\n      - fhir: status\n');
    const c = capture();
    expect(await runMap(['test', '--mappings', dir], c.io, deps)).toBe(1);
    expect(JSON.parse(c.out()).issue[0].details.text).toMatch(/bad\/mapping\.yaml:8: a correspondence needs both "partner" and "fhir" paths/);
  });
});
