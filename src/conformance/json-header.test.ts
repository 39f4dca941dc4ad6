// The header scan must agree with a full parse on every package file, and stop early.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { packagesDir } from '../../test/support/packages-dir.ts';
import { readJsonHeader } from './json-header.ts';

describe('readJsonHeader', () => {
  test('reads top-level members only, past nested url keys and escaped quotes', () => {
    const text = JSON.stringify({ resourceType: 'StructureDefinition', extension: [{ url: 'http://nested' }], text: { div: 'a "quoted" \\\\ url' }, url: 'http://top', version: '1.0' });
    expect(readJsonHeader(text)).toEqual({ resourceType: 'StructureDefinition', url: 'http://top', version: '1.0', complete: true });
  });

  test('stops at the snapshot', () => {
    const text = '{"resourceType":"StructureDefinition","snapshot":{"element":[]},"url":"http://late"}';
    expect(readJsonHeader(text)).toEqual({ resourceType: 'StructureDefinition', complete: false });
  });

  test.skipIf(!packagesDir())('agrees with JSON.parse on every file of the shared packages (version when it comes before the bulk)', () => {
    const dir = packagesDir()!;
    let checked = 0;
    for (const pkg of readdirSync(dir)) {
      const folder = path.join(dir, pkg, 'package');
      for (const file of readdirSync(folder).filter((f) => /^(StructureDefinition|ValueSet|CodeSystem)-.*\.json$/.test(f))) {
        const text = readFileSync(path.join(folder, file), 'utf8');
        const full = JSON.parse(text) as { resourceType: string; url?: string; version?: string };
        const header = readJsonHeader(text);
        expect(header.resourceType).toBe(full.resourceType);
        expect(header.url).toBe(full.url);
        if (header.complete || header.version !== undefined) expect(header.version).toBe(full.version);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
