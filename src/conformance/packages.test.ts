// Loading FHIR packages in the package-cache layout and the lazy R4 base index: missing
// dependencies, bad files and missing folders are warnings, never crashes.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openBundleIndex } from './bundle-index.ts';
import { createConformance } from './index.ts';
import { loadPackages } from './packages.ts';
import { r4Base } from './r4-base.ts';

function packageDir(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fhir-packages-'));
  const pkg = path.join(root, 'example.ig#1.0.0', 'package');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'example.ig', version: '1.0.0', dependencies: { 'hl7.fhir.r4.core': '4.0.1', 'example.missing': '2.0.0' } }));
  writeFileSync(path.join(pkg, 'ValueSet-colours.json'), JSON.stringify({ resourceType: 'ValueSet', url: 'http://example.org/ValueSet/colours', status: 'active', compose: { include: [{ system: 'http://example.org/cs', concept: [{ code: 'red' }] }] } }));
  writeFileSync(path.join(pkg, 'StructureDefinition-broken.json'), '{ not json');
  return root;
}

describe('FHIR packages (package-cache layout)', () => {
  test('loads the conformance resources, reports a missing dependency and a bad file as warnings', () => {
    const set = loadPackages(packageDir());
    expect(set.packages.map((p) => `${p.id}#${p.version}`)).toEqual(['example.ig#1.0.0']);
    expect(set.packages[0].resources.map((r) => r.url)).toEqual(['http://example.org/ValueSet/colours']);
    const texts = set.issues.map((i) => `${i.severity}: ${i.details?.text}`);
    expect(texts.some((t) => t.startsWith('warning') && t.includes('example.missing#2.0.0'))).toBe(true);
    expect(texts.some((t) => t.startsWith('warning') && t.includes('StructureDefinition-broken.json'))).toBe(true);
    // hl7.fhir.r4.core is the built-in R4 base: not reported missing.
    expect(texts.some((t) => t.includes('hl7.fhir.r4.core'))).toBe(false);
  });

  test('a missing package directory is a warning and validation still works', async () => {
    const c = await createConformance({ packagesDir: path.join(os.tmpdir(), 'no-such-packages-dir') });
    expect(c.loadIssues.map((i) => i.severity)).toEqual(['warning']);
    expect(c.validate({ resourceType: 'Patient', gender: 'female' }).issue?.some((i) => i.severity === 'error')).toBe(false);
  });

  test('definitions resolve by canonical and canonical|version', async () => {
    const c = await createConformance({ packagesDir: packageDir() });
    expect(c.definitions.valueSet('http://example.org/ValueSet/colours')?.url).toBe('http://example.org/ValueSet/colours');
    expect(c.definitions.structureDefinition('http://hl7.org/fhir/StructureDefinition/Task|4.0.1')?.type).toBe('Task');
  });
});

describe('lazy R4 base index', () => {
  test('finds definitions of each kind without parsing whole files', () => {
    const base = r4Base();
    expect(base.get('StructureDefinition', 'http://hl7.org/fhir/StructureDefinition/Reference')?.type).toBe('Reference');
    expect(base.get('ValueSet', 'http://hl7.org/fhir/ValueSet/task-status')?.resourceType).toBe('ValueSet');
    expect(base.get('CodeSystem', 'http://terminology.hl7.org/CodeSystem/v3-ActCode')?.resourceType).toBe('CodeSystem');
    expect(base.get('StructureDefinition', 'http://example.org/nothing')).toBeUndefined();
  });

  test('parses the first and last entries of a bundle file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-index-'));
    const file = path.join(dir, 'b.json');
    const entry = (id: string) => ({ fullUrl: `http://x/ValueSet/${id}`, resource: { resourceType: 'ValueSet', id, url: `http://x/ValueSet/${id}` } });
    writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', entry: [entry('a'), entry('b'), entry('c')] }, null, 2).replace(/"(\w+)": /g, '"$1" : '));
    const ix = openBundleIndex(file);
    expect([...ix.entries.keys()]).toEqual(['http://x/ValueSet/a', 'http://x/ValueSet/b', 'http://x/ValueSet/c']);
    expect(ix.get('http://x/ValueSet/a')?.id).toBe('a');
    expect(ix.get('http://x/ValueSet/c')?.id).toBe('c');
  });
});

describe('lazy package entries', () => {
  test('a version written after the snapshot is still found, by parsing on demand', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fhir-packages-'));
    const pkg = path.join(root, 'late.version#1.0.0', 'package');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'late.version', version: '1.0.0' }));
    writeFileSync(path.join(pkg, 'ValueSet-late.json'), '{"resourceType":"ValueSet","url":"http://example.org/ValueSet/late","compose":{"include":[{"system":"http://example.org/cs"}]},"version":"2.1.0"}');
    const [entry] = loadPackages(root).packages[0].resources;
    expect(entry.url).toBe('http://example.org/ValueSet/late');
    expect(entry.version).toBe('2.1.0');
  });
});
