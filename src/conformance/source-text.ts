// JSON numbers keep their source text (FHIR R4 json.html#decimal: "1.50" and "1.5" are
// different decimals; an integer must not be written "1.0"). JSON.parse's reviver gets the
// source text of each primitive (`context.source`, ES2025 JSON.parse source text access,
// Node 22+), kept here by holder object and key.

export interface ParsedWithSources {
  value: unknown;
  sources: WeakMap<object, Map<string, string>>;
}

type ReviverContext = { source?: string };

export function parseWithNumberSources(text: string): ParsedWithSources {
  const sources = new WeakMap<object, Map<string, string>>();
  const reviver = function (this: object, key: string, value: unknown, context?: ReviverContext): unknown {
    if (typeof value === 'number' && context?.source !== undefined) {
      let m = sources.get(this);
      if (!m) sources.set(this, (m = new Map()));
      m.set(key, context.source);
    }
    return value;
  };
  const value = JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
  return { value, sources };
}
