// Snapshot generation for the project's own profiles (FHIR R4 profiling.html#snapshot):
// the base definition's snapshot with the differential applied element by element.
// Complex types are unfolded (their children copied from the type's definition) when the
// differential constrains inside them, and slices are added after the sliced element's
// subtree with a copy of its children. Enough for constraint-style profiles and
// extensions; it does not support derivation = specialization.
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import type { Definitions } from './definitions.ts';

export function generateSnapshot(sd: StructureDefinition, defs: Definitions): StructureDefinition {
  if (!sd.baseDefinition) throw new Error(`${sd.url}: baseDefinition is required`);
  const base = defs.structureDefinition(sd.baseDefinition);
  if (!base?.snapshot?.element?.length) throw new Error(`${sd.url}: base definition ${sd.baseDefinition} is not available with a snapshot`);
  const elements: ElementDefinition[] = structuredClone(base.snapshot.element);

  const indexOf = (id: string): number => elements.findIndex((e) => (e.id ?? e.path) === id);
  const subtreeEnd = (at: number): number => {
    const id = elements[at].id ?? elements[at].path;
    let end = at + 1;
    while (end < elements.length) {
      const other = elements[end].id ?? elements[end].path;
      if (!other.startsWith(`${id}.`) && !other.startsWith(`${id}:`)) break;
      end++;
    }
    return end;
  };
  const reroot = (e: ElementDefinition, fromId: string, toId: string, fromPath: string, toPath: string): ElementDefinition => {
    const copy = structuredClone(e);
    copy.id = toId + (e.id ?? e.path).slice(fromId.length);
    copy.path = toPath + e.path.slice(fromPath.length);
    return copy;
  };

  const ensure = (id: string): number => {
    const found = indexOf(id);
    if (found >= 0) return found;
    const dot = id.lastIndexOf('.');
    if (dot < 0) throw new Error(`${sd.url}: element ${id} is not in the base`);
    const parentId = id.slice(0, dot);
    const last = id.slice(dot + 1);
    const colon = last.indexOf(':');
    if (colon >= 0) {
      // A new slice: a copy of the sliced element and its subtree, after that subtree.
      const slicedAt = ensure(`${parentId}.${last.slice(0, colon)}`);
      const sliced = elements[slicedAt];
      const slicedId = sliced.id ?? sliced.path;
      const end = subtreeEnd(slicedAt);
      const copies = elements
        .slice(slicedAt, end)
        .filter((e) => !(e.id ?? e.path).slice(slicedId.length).startsWith(':') && !(e.id ?? e.path).includes(':', slicedId.length))
        .map((e) => reroot(e, slicedId, id, sliced.path, sliced.path));
      copies[0].sliceName = last.slice(colon + 1);
      delete copies[0].slicing;
      elements.splice(end, 0, ...copies);
      return end;
    }
    const parentAt = ensure(parentId);
    if (subtreeEnd(parentAt) === parentAt + 1) unfold(parentAt);
    const now = indexOf(id);
    if (now < 0) throw new Error(`${sd.url}: element ${id} is not in the base`);
    return now;
  };

  /** Copies the children of an element's type under it (profiling.html#snapshot). */
  const unfold = (at: number): void => {
    const e = elements[at];
    const code = e.type?.[0]?.code;
    const typeSd = code ? defs.typeDefinition(code) : undefined;
    const typeElements = typeSd?.snapshot?.element ?? [];
    if (typeElements.length === 0) return;
    const rootId = typeElements[0].id ?? typeElements[0].path;
    const children = typeElements.slice(1).map((c) => reroot(c, rootId, e.id ?? e.path, typeElements[0].path, e.path));
    elements.splice(at + 1, 0, ...children);
  };

  for (const d of sd.differential?.element ?? []) {
    const id = d.id ?? d.path;
    const at = ensure(id);
    const target = elements[at];
    for (const [key, value] of Object.entries(d)) {
      if (key === 'id' || key === 'path') continue;
      if (key === 'constraint') {
        target.constraint = [...(target.constraint ?? []), ...(value as NonNullable<ElementDefinition['constraint']>)];
      } else {
        (target as unknown as Record<string, unknown>)[key] = structuredClone(value);
      }
    }
  }
  return { ...sd, snapshot: { element: elements } };
}
