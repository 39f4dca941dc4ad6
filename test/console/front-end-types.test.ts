// The console's front end is plain JavaScript with `// @ts-check` and JSDoc types; the
// project's TypeScript checks it (with the DOM library) through console/tsconfig.json.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []));
}

describe('console front end', () => {
  it('every script opts in to type checking', () => {
    const files = jsFiles(path.join(root, 'console/js'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !readFileSync(f, 'utf8').startsWith('// @ts-check')).map((f) => path.relative(root, f))).toEqual([]);
  });

  it('type-checks with no errors', () => {
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'console/tsconfig.json')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    } catch (error) {
      output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}` || String(error);
    }
    expect(output).toBe('');
  }, 150_000);

  it('holds no inline script or style and loads nothing from elsewhere (the CSP allows neither)', () => {
    const html = readFileSync(path.join(root, 'console/index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    for (const file of [...jsFiles(path.join(root, 'console/js')), path.join(root, 'console/console.css'), path.join(root, 'console/index.html')]) {
      // Loads from elsewhere: imports, src/href attributes, CSS url(), fetch of an absolute URL.
      expect(readFileSync(file, 'utf8'), path.relative(root, file)).not.toMatch(/from\s+['"]https?:|(?:src|href)=["']https?:|url\(\s*['"]?https?:|fetch\(\s*['"`]https?:/);
    }
  });
});
