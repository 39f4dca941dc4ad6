// Mutation corpus from the SDOHCC 3.0.0 examples (mutation-corpus.ts): every mutant must be
// caught with an error at the expression of the element it broke (or inside it).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Conformance } from '../../src/conformance/index.ts';
import { packagesDir, packagesSkipReason, SDOHCC_PACKAGE } from '../support/packages-dir.ts';
import { generateMutants, type Mutant } from './mutation-corpus.ts';
import { errorsOf, testConformance } from './support.ts';

const dir = packagesDir();

function caughtAt(errors: { expression: string }[], expected: string): boolean {
  return errors.some((e) => e.expression === expected || e.expression.startsWith(`${expected}.`) || e.expression.startsWith(`${expected}[`));
}

describe.skipIf(!dir)(`mutation corpus from the SDOHCC examples (${dir ? 'packages found' : packagesSkipReason})`, () => {
  let conformance: Conformance;
  let mutants: Mutant[];

  beforeAll(async () => {
    conformance = await testConformance();
    const examples = path.join(dir!, SDOHCC_PACKAGE, 'package', 'example');
    mutants = readdirSync(examples)
      .sort()
      .flatMap((f) => generateMutants(f, JSON.parse(readFileSync(path.join(examples, f), 'utf8')), conformance.definitions));
  });

  test('the corpus covers every operator', () => {
    const operators = new Set(mutants.map((m) => m.operator));
    expect([...operators].sort()).toEqual([
      'add-forbidden-element',
      'break-cardinality',
      'change-fixed-value',
      'drop-required',
      'violate-invariant',
      'wrong-primitive-format',
      'wrong-reference-type',
      'wrong-required-code',
    ]);
    expect(mutants.length).toBeGreaterThan(300);
  });

  test('every mutant is caught at the expression it broke', () => {
    const missed: string[] = [];
    const byOperator = new Map<string, { caught: number; total: number }>();
    for (const m of mutants) {
      const errors = errorsOf(conformance.validate(m.resource));
      const ok = caughtAt(errors, m.expression);
      const s = byOperator.get(m.operator) ?? { caught: 0, total: 0 };
      s.total++;
      if (ok) s.caught++;
      byOperator.set(m.operator, s);
      if (!ok) missed.push(`${m.source} ${m.operator} (${m.description}) expected at ${m.expression}; got ${errors.map((e) => e.expression).join(', ') || 'no errors'}`);
    }
    const caught = mutants.length - missed.length;
    const rate = ((100 * caught) / mutants.length).toFixed(1);
    console.log(`mutation detection rate: ${caught}/${mutants.length} = ${rate}%`);
    for (const [op, s] of [...byOperator].sort()) console.log(`  ${op}: ${s.caught}/${s.total}`);
    if (missed.length) console.log(missed.join('\n'));
    expect(missed).toEqual([]);
  });
});
