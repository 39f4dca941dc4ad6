// Invariants that every resource or element carries, implemented natively because they
// run on every element and FHIRPath evaluation would dominate the cost. Each function
// is equivalent to the FHIRPath expression in the R4 base it names.
import type { IssueSink } from './issues.ts';
import { isObject } from './values.ts';

/** ext-1 (Extension): `extension.exists() != value.exists()`. */
export function checkExtensionValue(ext: Record<string, unknown>, path: string, sink: IssueSink): void {
  const hasExtensions = Array.isArray(ext.extension) && ext.extension.length > 0;
  let hasValue = false;
  for (const k in ext) {
    if (k.length > 5 && k.startsWith('value') && k.charCodeAt(5) < 97) {
      hasValue = true;
      break;
    }
  }
  if (hasExtensions === hasValue) {
    sink.add('error', 'invariant', 'Constraint ext-1 failed: Must have either extensions or value[x], not both', path);
  }
}

/**
 * ref-1 (Reference): `reference.startsWith('#').not() or (reference.substring(1) in
 * %rootResource.contained.id)`; a bare `#` points at the container (references.html#contained).
 */
export function checkReferenceToContained(ref: Record<string, unknown>, root: Record<string, unknown>, path: string, sink: IssueSink): void {
  const r = ref.reference;
  if (typeof r !== 'string' || !r.startsWith('#') || r === '#') return;
  const id = r.slice(1);
  const found = Array.isArray(root.contained) && root.contained.some((c) => isObject(c) && c.id === id);
  if (!found) sink.add('error', 'invariant', 'Constraint ref-1 failed: SHALL have a contained resource if a local reference is provided', path);
}

function collectLocalRefs(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    if (value.charCodeAt(0) === 35) into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectLocalRefs(v, into);
    return;
  }
  if (isObject(value)) for (const k in value) collectLocalRefs(value[k], into);
}

/** dom-2 .. dom-6 (DomainResource), resource.html#contained and narrative.html. */
export function checkDomainResource(resource: Record<string, unknown>, path: string, isContained: boolean, sink: IssueSink): void {
  const contained = Array.isArray(resource.contained) ? resource.contained.filter(isObject) : [];
  if (contained.length > 0) {
    const refs = new Set<string>();
    collectLocalRefs(resource, refs);
    contained.forEach((c, i) => {
      const cp = `${path}.contained[${i}]`;
      if (c.contained !== undefined) sink.add('error', 'invariant', 'Constraint dom-2 failed: If the resource is contained in another resource, it SHALL NOT contain nested Resources', cp);
      const inner = new Set<string>();
      collectLocalRefs(c, inner);
      if (!(typeof c.id === 'string' && refs.has(`#${c.id}`)) && !inner.has('#')) {
        sink.add('error', 'invariant', 'Constraint dom-3 failed: If the resource is contained in another resource, it SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource', cp);
      }
      const meta = isObject(c.meta) ? c.meta : undefined;
      if (meta && (meta.versionId !== undefined || meta.lastUpdated !== undefined)) {
        sink.add('error', 'invariant', 'Constraint dom-4 failed: If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a meta.lastUpdated', cp);
      }
      if (meta?.security !== undefined) sink.add('error', 'invariant', 'Constraint dom-5 failed: If a resource is contained in another resource, it SHALL NOT have a security label', cp);
    });
  }
  if (!isContained && !(isObject(resource.text) && typeof resource.text.div === 'string')) {
    sink.add('warning', 'invariant', 'Constraint dom-6 failed: A resource should have narrative for robust management (best practice)', path);
  }
}
