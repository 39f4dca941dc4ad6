// `gateway validate`: exit codes (0 clean, 1 errors, 2 usage), text and JSON-lines output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { packagesDir } from '../../test/support/packages-dir.ts';
import { runValidate } from './validate-command.ts';

const examples = fileURLToPath(new URL('../../examples/careplan', import.meta.url));
const packages = packagesDir() ?? path.join(os.tmpdir(), 'no-fhir-packages');

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runValidate([...args, '--packages', packages], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe.skipIf(!packagesDir())('gateway validate', () => {
  test('exits 0 for a directory of valid resources and says OK for each', async () => {
    const r = await run([path.join(examples, 'valid')]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/: OK \(/g)?.length).toBe(3);
  });

  test('exits 1 when any input has errors, and names the expression', async () => {
    const r = await run([path.join(examples, 'valid'), path.join(examples, 'invalid', 'CarePlan-missing-addresses.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('CarePlan.addresses');
  });

  test('--format json prints one line per input with file and outcome', async () => {
    const r = await run([path.join(examples, 'invalid'), '--format', 'json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; outcome: { resourceType: string } });
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.file.endsWith('.json') && l.outcome.resourceType === 'OperationOutcome')).toBe(true);
  });

  test('--profile validates against a profile the resource does not claim', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-cli-'));
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/p1' } }));
    expect((await run([file])).code).toBe(0);
    const r = await run([file, '--profile', 'https://w3id.org/social-care-gateway/fhir/StructureDefinition/case-management-careplan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('CarePlan.addresses');
  });

  test('a file that is not JSON is an input with an error (exit 1)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-cli-'));
    writeFileSync(path.join(dir, 'broken.json'), '{"resourceType": ');
    const r = await run([dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not valid JSON');
  });

  test.each([
    [['/does/not/exist.json'], 'not found'],
    [[], 'missing required argument'],
    [[examples, '--format', 'xml'], 'Allowed choices'],
    [[examples, '--profile', 'http://example.org/StructureDefinition/nope'], 'unknown profile'],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
