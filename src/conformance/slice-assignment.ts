// Assigns the items of a sliced element to its slices (profiling.html#slicing) and checks
// the slicing rules: closed, ordered, openAtEnd, and each slice's cardinality.
import { memberOf } from './bindings.ts';
import type { ElementRule } from './compile.ts';
import { sliceMatch, type SliceEnv } from './slicing.ts';
import { structureFor, type ResourceFrame, type WalkContext } from './walk-context.ts';

export function assignSlices(values: unknown[], type: string, child: ElementRule, path: string, ctx: WalkContext, frame: ResourceFrame): (ElementRule | 'unknown' | undefined)[] {
  const slicing = child.slicing!;
  const env: SliceEnv = {
    structureFor: (r, t) => structureFor(r, t, ctx.engine),
    scope: frame.scope,
    conforms: (res, p) => ctx.engine.conforms(res, p, frame.scope),
    memberOf: (v, vs) => memberOf(v, vs, ctx.engine.terminology),
  };
  const out: (ElementRule | 'unknown' | undefined)[] = [];
  const counts = new Map<ElementRule, number>();
  let unknownCount = 0;
  let lastSliceIndex = -1;
  let sawUnmatched = false;
  for (let i = 0; i < values.length; i++) {
    const node = { value: values[i], type: child.choice ? type : undefined };
    let result: ElementRule | 'unknown' | undefined;
    for (let s = 0; s < slicing.slices.length; s++) {
      const m = sliceMatch(child, slicing.slices[s], node, env);
      if (m === 'yes') {
        result = slicing.slices[s];
        if (slicing.ordered && s < lastSliceIndex) {
          ctx.sink.add('error', 'structure', `${child.path}: slices are ordered, and this item of slice '${slicing.slices[s].sliceName}' comes after a later slice`, `${path}[${i}]`);
        }
        lastSliceIndex = Math.max(lastSliceIndex, s);
        if (sawUnmatched && slicing.rules === 'openAtEnd') {
          ctx.sink.add('error', 'structure', `${child.path}: items that match no slice must come last (openAtEnd)`, `${path}[${i}]`);
        }
        break;
      }
      if (m === 'unknown') result ??= 'unknown';
    }
    if (result === undefined) {
      sawUnmatched = true;
      if (slicing.rules === 'closed') {
        ctx.sink.add('error', 'structure', `${child.path}: this item matches none of the slices, and the slicing is closed`, `${path}[${i}]`);
      }
    } else if (result === 'unknown') {
      unknownCount++;
    } else {
      counts.set(result, (counts.get(result) ?? 0) + 1);
    }
    out.push(result);
  }
  for (const s of slicing.slices) {
    const n = counts.get(s) ?? 0;
    if (n < s.min) {
      if (unknownCount > 0) {
        ctx.sink.add('information', 'informational', `${child.path}: could not check slice '${s.sliceName}' (min ${s.min}) because slice membership of some items needs resources not available here`, path);
      } else {
        ctx.sink.add('error', 'required', `${child.path}: slice '${s.sliceName}' requires at least ${s.min}, but found ${n}`, path);
      }
    }
    if (n > s.max) ctx.sink.add('error', 'structure', `${child.path}: slice '${s.sliceName}' allows at most ${s.max}, but found ${n}`, path);
  }
  return out;
}
