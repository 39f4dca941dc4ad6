// A small native compiler for the FHIRPath subset most invariants use (FHIRPath N1:
// paths, where/exists/empty/not/hasValue/count, = != < > <= >= on numbers, and/or/xor/
// implies with three-valued logic, string/number/boolean literals). It turns an
// expression into closures over plain JSON, about 10x cheaper than a general engine.
// Anything outside the subset is rejected at compile time (the caller then uses the
// `fhirpath` package), and anything the subset cannot decide at run time throws
// `Unsupported` so the caller can fall back for that evaluation.

import r4Model from 'fhirpath/fhir-context/r4';
import { deepEqual } from './values.ts';

export class Unsupported extends Error {
  constructor(what: string) {
    super(`FHIRPath subset: ${what}`);
    this.name = 'Unsupported';
  }
}

// Run-time fallbacks are frequent; a shared instance saves capturing a stack each time.
const RUNTIME_UNSUPPORTED = new Unsupported('needs the full engine');

type Collection = unknown[];
/** %resource and %rootResource (FHIR R4 fhirpath.html#variables). */
export interface Env {
  resource: unknown;
  rootResource: unknown;
}

type Fn = (input: Collection, env: Env) => Collection;

interface Token {
  kind: 'id' | 'str' | 'num' | 'op' | 'punct' | 'var';
  text: string;
}

const KEYWORD_OPS = new Set(['and', 'or', 'xor', 'implies']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\') throw new Unsupported('escapes in strings');
        s += src[j++];
      }
      if (j >= src.length) throw new Unsupported('unterminated string');
      out.push({ kind: 'str', text: s });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ kind: 'num', text: m[0] });
      i += m[0].length;
    } else if (c === '%' && /[A-Za-z]/.test(src[i + 1] ?? '')) {
      const m = /^%[A-Za-z][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: 'var', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: KEYWORD_OPS.has(m[0]) ? 'op' : 'id', text: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        out.push({ kind: 'op', text: two });
        i += 2;
      } else if ('=<>+'.includes(c)) {
        out.push({ kind: 'op', text: c });
        i++;
      } else if ('().,'.includes(c)) {
        out.push({ kind: 'punct', text: c });
        i++;
      } else {
        throw new Unsupported(`character ${c}`);
      }
    }
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// Names of choice elements in R4 (`value`, `effective`, `onset`, ...): only these can
// appear in JSON with a type suffix, so only these need the suffix scan below.
const CHOICE_NAMES: ReadonlySet<string> = new Set(Object.keys(r4Model.choiceTypePaths as Record<string, string[]>).map((p) => p.slice(p.lastIndexOf('.') + 1)));

/** FHIRPath member navigation over FHIR JSON, including choice elements (`value` -> `valueQuantity`). */
function member(input: Collection, name: string): Collection {
  const out: unknown[] = [];
  for (const item of input) {
    if (!isObj(item)) continue;
    let v = item[name];
    if (v === undefined) {
      if (item[`_${name}`] !== undefined) throw RUNTIME_UNSUPPORTED;
      if (!CHOICE_NAMES.has(name)) continue;
      for (const k in item) {
        if (k.length > name.length && k.startsWith(name) && k.charCodeAt(name.length) < 91 && k.charCodeAt(name.length) > 64) {
          v = item[k];
          break;
        }
      }
    }
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && x !== undefined) out.push(x);
    } else out.push(v);
  }
  return out;
}

/** Singleton evaluation of a collection as a boolean (FHIRPath N1 "Singleton Evaluation of Collections"). */
function asBool(c: Collection): boolean | undefined {
  if (c.length === 0) return undefined;
  if (c.length > 1) throw RUNTIME_UNSUPPORTED;
  return typeof c[0] === 'boolean' ? c[0] : true;
}

const bool = (b: boolean | undefined): Collection => (b === undefined ? [] : [b]);

function equalItems(a: unknown, b: unknown): boolean {
  if (isObj(a) || isObj(b) || Array.isArray(a) || Array.isArray(b)) throw RUNTIME_UNSUPPORTED;
  return a === b;
}

function variable(name: string): Fn {
  if (name === '%resource') return (_input, env) => [env.resource];
  if (name === '%rootResource') return (_input, env) => [env.rootResource];
  if (name === '%ucum') return () => ['http://unitsofmeasure.org'];
  return needsFullEngine(name);
}

function needsFullEngine(_what: string): Fn {
  return () => {
    throw RUNTIME_UNSUPPORTED;
  };
}

const DATE_ONLY = /^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$/;
const FULL_DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/**
 * Operands of < > <= >=: numbers, or dates/dateTimes of the same precision (FHIRPath N1
 * "Comparison": different precisions may give an empty result, left to the full engine).
 */
function comparable(a: unknown, b: unknown): [number | string, number | string] {
  if (typeof a === 'number' && typeof b === 'number') return [a, b];
  if (typeof a === 'string' && typeof b === 'string') {
    if (DATE_ONLY.test(a) && DATE_ONLY.test(b) && a.length === b.length) return [a, b];
    if (FULL_DATE_TIME.test(a) && FULL_DATE_TIME.test(b)) return [Date.parse(a), Date.parse(b)];
  }
  throw RUNTIME_UNSUPPORTED;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }
  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private take(text?: string): Token {
    const t = this.tokens[this.pos];
    if (!t || (text !== undefined && t.text !== text)) throw new Unsupported(`expected ${text ?? 'a token'}`);
    this.pos++;
    return t;
  }
  parseAll(): Fn {
    const f = this.implies();
    if (this.pos !== this.tokens.length) throw new Unsupported(`unexpected ${this.peek()?.text}`);
    return f;
  }
  private implies(): Fn {
    let left = this.or();
    while (this.peek()?.text === 'implies') {
      this.take();
      const l = left;
      const r = this.or();
      left = (input, env) => {
        const a = asBool(l(input, env));
        if (a === false) return [true];
        const b = asBool(r(input, env));
        if (a === true) return bool(b);
        return b === true ? [true] : [];
      };
    }
    return left;
  }
  private or(): Fn {
    let left = this.and();
    while (this.peek()?.text === 'or' || this.peek()?.text === 'xor') {
      const op = this.take().text;
      const l = left;
      const r = this.and();
      left =
        op === 'or'
          ? (input, env) => {
              const a = asBool(l(input, env));
              if (a === true) return [true];
              const b = asBool(r(input, env));
              if (b === true) return [true];
              return a === false && b === false ? [false] : [];
            }
          : (input, env) => {
              const a = asBool(l(input, env));
              const b = asBool(r(input, env));
              return a === undefined || b === undefined ? [] : [a !== b];
            };
    }
    return left;
  }
  private and(): Fn {
    let left = this.equality();
    while (this.peek()?.text === 'and') {
      this.take();
      const l = left;
      const r = this.equality();
      left = (input, env) => {
        const a = asBool(l(input, env));
        if (a === false) return [false];
        const b = asBool(r(input, env));
        if (b === false) return [false];
        return a === true && b === true ? [true] : [];
      };
    }
    return left;
  }
  private equality(): Fn {
    let left = this.comparison();
    while (this.peek()?.text === '=' || this.peek()?.text === '!=') {
      const op = this.take().text;
      const l = left;
      const r = this.comparison();
      left = (input, env) => {
        const a = l(input, env);
        const b = r(input, env);
        if (a.length === 0 || b.length === 0) return [];
        const eq = a.length === b.length && a.every((x, i) => equalItems(x, b[i]));
        return [op === '=' ? eq : !eq];
      };
    }
    return left;
  }
  private comparison(): Fn {
    const left = this.additive();
    const t = this.peek();
    if (t && (t.text === '<' || t.text === '>' || t.text === '<=' || t.text === '>=')) {
      const op = this.take().text;
      const right = this.additive();
      return (input, env) => {
        const a = left(input, env);
        const b = right(input, env);
        if (a.length === 0 || b.length === 0) return [];
        if (a.length > 1 || b.length > 1) throw RUNTIME_UNSUPPORTED;
        const [x, y] = comparable(a[0], b[0]);
        return [op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y];
      };
    }
    return left;
  }
  /** `+` on integers (org-1: `identifier.count() + name.count()`); anything else falls back. */
  private additive(): Fn {
    let left = this.term();
    while (this.peek()?.text === '+') {
      this.take();
      const l = left;
      const r = this.term();
      left = (input, env) => {
        const a = l(input, env);
        const b = r(input, env);
        if (a.length === 0 || b.length === 0) return [];
        if (a.length > 1 || b.length > 1 || typeof a[0] !== 'number' || typeof b[0] !== 'number') throw RUNTIME_UNSUPPORTED;
        return [a[0] + b[0]];
      };
    }
    return left;
  }

  private term(): Fn {
    const t = this.peek();
    let f: Fn;
    if (!t) throw new Unsupported('unexpected end');
    if (t.text === '(') {
      this.take('(');
      f = this.implies();
      this.take(')');
    } else if (t.kind === 'str') {
      this.take();
      const v = t.text;
      f = () => [v];
    } else if (t.kind === 'num') {
      this.take();
      if (t.text.includes('.')) throw new Unsupported('decimal literals');
      const v = Number(t.text);
      f = () => [v];
    } else if (t.kind === 'var') {
      // Environment variables (%resource, ...) are left to the full engine, but only when
      // evaluation reaches them: `value.empty() or <uses %resource>` stays native when the
      // left side decides.
      this.take();
      f = variable(t.text);
    } else if (t.kind === 'id' && (t.text === 'true' || t.text === 'false')) {
      this.take();
      const v = t.text === 'true';
      f = () => [v];
    } else if (t.kind === 'id') {
      f = this.invocation((input, env) => input);
    } else {
      throw new Unsupported(`unexpected ${t.text}`);
    }
    while (this.peek()?.text === '.') {
      this.take('.');
      f = this.invocation(f);
    }
    return f;
  }
  /** One step after `base`: a member name or a function call. */
  private invocation(base: Fn): Fn {
    const name = this.take().text;
    if (name === '$this') return base;
    if (name.startsWith('$')) throw new Unsupported(name);
    if (this.peek()?.text !== '(') {
      // A type name (`is(Composition)`, `Patient.name`): left to the full engine if reached.
      if (/^[A-Z]/.test(name) || name === 'div') return needsFullEngine(name);
      return (input, env) => member(base(input, env), name);
    }
    this.take('(');
    let arg: Fn | undefined;
    if (this.peek()?.text !== ')') arg = this.implies();
    this.take(')');
    switch (name) {
      case 'empty':
        return (input, env) => [base(input, env).length === 0];
      case 'exists':
        if (!arg) return (input, env) => [base(input, env).length > 0];
        return (input, env) => [base(input, env).some((x) => asBool(arg!([x], env)) === true)];
      case 'not':
        return (input, env) => {
          const b = asBool(base(input, env));
          return b === undefined ? [] : [!b];
        };
      case 'count':
        return (input, env) => [base(input, env).length];
      case 'hasValue':
        return (input, env) => {
          const c = base(input, env);
          return [c.length === 1 && !isObj(c[0]) && !Array.isArray(c[0])];
        };
      case 'all':
        if (!arg) throw new Unsupported('all() without criteria');
        return (input, env) => [base(input, env).every((x) => asBool(arg!([x], env)) === true)];
      case 'first':
        return (input, env) => base(input, env).slice(0, 1);
      case 'contains':
      case 'startsWith':
        if (!arg) throw new Unsupported(`${name}() without an argument`);
        return (input, env) => {
          const c = base(input, env);
          const a = arg!(input, env);
          if (c.length === 0 || a.length === 0) return [];
          if (c.length > 1 || typeof c[0] !== 'string' || typeof a[0] !== 'string') throw RUNTIME_UNSUPPORTED;
          return [name === 'contains' ? c[0].includes(a[0]) : c[0].startsWith(a[0])];
        };
      case 'intersect':
        if (!arg) throw new Unsupported('intersect() without an argument');
        return (input, env) => {
          const other = arg!(input, env);
          const out: unknown[] = [];
          for (const x of base(input, env)) if (other.some((y) => deepEqual(x, y)) && !out.some((y) => deepEqual(x, y))) out.push(x);
          return out;
        };
      case 'where':
        if (!arg) throw new Unsupported('where() without criteria');
        return (input, env) => base(input, env).filter((x) => asBool(arg!([x], env)) === true);
      default:
        // Parsed, but run by the full engine if evaluation reaches it (see %variables above).
        return needsFullEngine(`${name}()`);
    }
  }
}

/** Compiles an expression of the subset; throws Unsupported when it is outside it. */
export function compileLite(expression: string): (node: unknown, env: Env) => unknown[] {
  const fn = new Parser(tokenize(expression)).parseAll();
  return (node, env) => fn([node], env);
}
