// One Conformance per test file, loaded from the shared FHIR packages directory.
import { createConformance, type Conformance } from '../../src/conformance/index.ts';
import { packagesDir } from '../support/packages-dir.ts';

let loading: Promise<Conformance> | undefined;

export function testConformance(): Promise<Conformance> {
  loading ??= createConformance({ packagesDir: packagesDir() });
  return loading;
}

export function errorsOf(o: { issue?: { severity?: string; expression?: string[]; details?: { text?: string } }[] }): { expression: string; text: string }[] {
  return (o.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ expression: i.expression?.[0] ?? '', text: i.details?.text ?? '' }));
}

let baseOnly: Promise<Conformance> | undefined;

/** The R4 base and the project profiles only (no package directory): fast, for unit tests. */
export function baseConformance(): Promise<Conformance> {
  baseOnly ??= createConformance({ packagesDir: '/nonexistent-fhir-packages' });
  return baseOnly;
}

/** Issues as `severity expression` strings, for compact table assertions. */
export function issuesOf(o: { issue?: { severity?: string; expression?: string[] }[] }, severity = 'error'): string[] {
  return (o.issue ?? []).filter((i) => i.severity === severity).map((i) => i.expression?.[0] ?? '');
}
