// Links out of an element: extensions checked against their definitions by URL
// (extensibility.html) and reference targets against type.targetProfile (references.html).
import type { ElementRule, TypeRef } from './compile.ts';
import { checkReferenceToContained } from './native-invariants.ts';
import { referencedType } from './references.ts';
import type { ResourceFrame, WalkContext } from './walk-context.ts';

/** extensibility.html#Extension: an extension is checked against its definition by URL. */
export function extensionStructure(item: Record<string, unknown>, fallback: ElementRule | undefined, rule: ElementRule, path: string, ctx: WalkContext): ElementRule | undefined {
  const url = item.url;
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(url)) return fallback;
  const declared = rule.types[0]?.profiles ?? [];
  if (declared.includes(url) && fallback) return fallback;
  const def = ctx.engine.profile(url);
  if (!def) {
    const modifier = rule.name === 'modifierExtension';
    ctx.sink.add(
      modifier ? 'error' : 'warning',
      modifier ? 'structure' : 'not-found',
      modifier
        ? `Unknown modifier extension ${url}: a modifier extension that is not understood makes the resource unsafe to process`
        : `Extension ${url} is not known here, so its content could not be checked`,
      `${path}`,
    );
    return fallback;
  }
  if (def.type !== 'Extension') {
    ctx.sink.add('error', 'structure', `${url} is not an extension definition`, `${path}.url`);
    return fallback;
  }
  if (!contextAllows(def.contexts, rule)) {
    const where = def.contexts.map((c) => c.expression).join(', ');
    ctx.sink.add('error', 'structure', `Extension ${url} is not allowed on ${rule.path.slice(0, rule.path.lastIndexOf('.'))} (its context is ${where})`, path);
  }
  return def.root;
}

const ANYWHERE = new Set(['Element', 'Resource', 'DomainResource', 'BackboneElement']);

/**
 * StructureDefinition.context (extensibility.html#context), checked where it can be told
 * exactly: on a resource's own extensions. Deeper down, the element's path in the resource
 * is not known from the datatype's definition, so it is not checked there.
 */
function contextAllows(contexts: { type: string; expression: string }[], rule: ElementRule): boolean {
  if (contexts.length === 0 || rule.profile.kind !== 'resource') return true;
  const owner = rule.path.slice(0, rule.path.lastIndexOf('.'));
  if (owner.includes('.')) return true;
  return contexts.some((c) => c.type !== 'element' || ANYWHERE.has(c.expression) || c.expression === owner);
}

export function checkReference(item: Record<string, unknown>, rule: ElementRule, path: string, ctx: WalkContext, frame: ResourceFrame): void {
  checkReferenceToContained(item, frame.root, path, ctx.sink);
  const targets = rule.types.find((t: TypeRef) => t.code === 'Reference')?.targetProfiles ?? [];
  if (targets.length === 0) return;
  const allowed = new Set<string>();
  for (const t of targets) {
    const p = ctx.engine.profile(t);
    if (!p) return; // A target profile we do not know: the type cannot be told.
    allowed.add(p.type);
  }
  if (allowed.has('Resource')) return;
  const actual = referencedType(item, frame.scope);
  if (actual && !allowed.has(actual)) {
    ctx.sink.add('error', 'structure', `${rule.path}: a reference to ${actual} is not allowed here (allowed: ${[...allowed].join(', ')})`, path);
  }
}
