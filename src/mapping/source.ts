// Parses a mapping file (YAML 1.2, which also reads JSON) into plain data while
// remembering the line where each object and array starts, so that every compile error
// and every rule error can name `file:line`.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node } from 'yaml';

/** Parsed data plus the line (1-based) where each object/array node started. */
export interface SourceDoc {
  file: string;
  value: unknown;
  lineOf(node: object): number;
}

export interface SourceProblem {
  file: string;
  line: number;
  reason: string;
}

export function parseSource(file: string, text: string): { doc?: SourceDoc; problems: SourceProblem[] } {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (parsed.errors.length > 0) {
    return {
      problems: parsed.errors.map((e) => ({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        reason: e.message.split('\n')[0] ?? 'YAML syntax error',
      })),
    };
  }
  const lines = new WeakMap<object, number>();
  const lineAt = (node: Node): number => (node.range ? lineCounter.linePos(node.range[0]).line : 0);
  const convert = (node: unknown): unknown => {
    if (isMap(node)) {
      const result: Record<string, unknown> = {};
      lines.set(result, lineAt(node));
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        result[key] = convert(pair.value);
      }
      return result;
    }
    if (isSeq(node)) {
      const result = node.items.map(convert);
      lines.set(result, lineAt(node));
      return result;
    }
    if (isScalar(node)) {
      return node.value;
    }
    return node ?? null;
  };
  const value = convert(parsed.contents);
  return {
    doc: { file, value, lineOf: (node: object) => lines.get(node) ?? 0 },
    problems: [],
  };
}
