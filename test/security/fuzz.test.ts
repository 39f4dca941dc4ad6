// RELIABILITY.md scenarios 18-25 by fuzzing: random and mutated JSON (seeded, bounded in count
// and time) against the HTTP input layer with security on. The process never crashes, every
// answer is a success or a well-formed OperationOutcome below 500, Object.prototype is untouched.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fhir, startSecureGateway, type SecureGateway } from './support.ts';

const SEED = 20261123;
const MAX_REQUESTS = 400;
const MAX_MS = 20_000;
let gw: SecureGateway;

beforeAll(async () => {
  gw = await startSecureGateway();
});

afterAll(async () => {
  await gw?.close();
});

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

const KEYS = ['resourceType', 'id', 'meta', 'status', 'intent', 'for', 'identifier', 'entry', 'request', 'resource', '__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'valueOf', 'hasOwnProperty', '', '\u0000', 'x'.repeat(300)];
const STRINGS = ['Task', 'Patient', 'Bundle', 'transaction', 'batch', 'requested', 'order', '', ' ', '\u0000', '\ud800', '2023-02-29', '24:00', '1e309', 'NaN', 'x'.repeat(5000), '../../etc/passwd', '<script>', 'Patient/../Task'];
const SEEDS = [
  { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/p1' } },
  { resourceType: 'Patient', name: [{ family: 'Fuzz' }], birthDate: '1970-01-01' },
  { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Task', status: 'requested', intent: 'order' }, request: { method: 'POST', url: 'Task' } }] },
  { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Task?status=requested' } }, { request: { method: 'DELETE', url: 'Task/x' } }] },
];

function randomValue(g: ReturnType<typeof generator>, depth: number): unknown {
  const roll = g.int(depth > 4 ? 5 : 8);
  switch (roll) {
    case 0: return g.pick(STRINGS);
    case 1: return g.pick([0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, 2 ** 64]);
    case 2: return g.pick([true, false, null]);
    case 3: return String.fromCharCode(...Array.from({ length: g.int(20) }, () => g.int(0xffff)));
    case 4: return g.pick(['Task', 'Patient', 'requested']);
    case 5: return Array.from({ length: g.int(4) }, () => randomValue(g, depth + 1));
    default: {
      const entries = Array.from({ length: g.int(5) }, () => `${JSON.stringify(g.pick(KEYS))}:${JSON.stringify(randomValue(g, depth + 1)) ?? 'null'}`);
      return JSON.parse(`{${entries.join(',')}}`.replace(/,,+/g, ','), (k, v) => v);
    }
  }
}

/** Text-level mutations of a valid body: the input layer must survive each. */
function mutate(g: ReturnType<typeof generator>, text: string): string {
  const at = g.int(text.length + 1);
  switch (g.int(12)) {
    case 0: return text.slice(0, at);
    case 1: return text.slice(0, at) + text.slice(at + 1 + g.int(5));
    case 2: return text.slice(0, at) + g.pick(['{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', 'NaN', '//', '/*', '\ufeff']) + text.slice(at);
    case 3: return text.replace('{', '{"__proto__":{"polluted":"yes"},');
    case 4: return text.replace('{', '{"constructor":{"prototype":{"polluted":"yes"}},');
    case 5: return text.replace('"resourceType"', '"resourceType":"X","resourceType"');
    case 6: return '['.repeat(2000 + g.int(20000)) + ']'.repeat(10);
    case 7: return `\ufeff${text}`;
    case 8: return text.replace(/"[^"]*"/, '"\\ud800"');
    case 9: return text.replace(/:\s*"[^"]*"/, `:${g.pick(['1e99999', '-0', '01', '.5', 'true', '[]', '{}'])}`);
    case 10: return text + g.pick([',', '}', ' trailing', '\n{}']);
    default: return JSON.stringify(randomValue(g, 0));
  }
}

test('random and mutated JSON never crash the gateway or pollute Object.prototype', async () => {
  const g = generator(SEED);
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const started = Date.now();
  const counts: Record<string, number> = {};
  let sent = 0;
  while (sent < MAX_REQUESTS && Date.now() - started < MAX_MS) {
    const seed = JSON.stringify(g.pick(SEEDS));
    const roll = g.int(6);
    const body = roll === 0 ? seed : roll === 1 ? JSON.stringify(randomValue(g, 0)) ?? 'null' : mutate(g, seed);
    const [method, path] = g.pick([['POST', 'Task'], ['POST', 'Patient'], ['POST', ''], ['PUT', 'Task/fuzz-1'], ['POST', 'Task/$validate'], ['POST', 'admin/partners'], ['POST', 'token']] as const);
    const contentType = g.pick(['application/fhir+json', 'application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain']);
    const r = await fhir(gw, method, path, g.int(10) === 0 ? undefined : gw.keys.alpha, body, { 'content-type': contentType });
    sent += 1;
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    const context = `#${sent} ${method} /${path} ${contentType}: ${r.status}`;
    expect(r.status, context).toBeLessThan(500);
    // The token endpoint answers OAuth errors (RFC 6749 section 5.2) once the body is parsed.
    const oauth = path === 'token' && typeof r.json?.error === 'string';
    if (r.status >= 400 && !oauth) {
      expect(r.json?.resourceType, context).toBe('OperationOutcome');
      const issues = r.json?.issue as { severity?: string; code?: string }[];
      expect(Array.isArray(issues) && issues.length > 0 && issues.every((i) => typeof i.severity === 'string' && typeof i.code === 'string'), context).toBe(true);
    }
  }
  expect(sent).toBeGreaterThanOrEqual(100);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((await fetch(new URL('healthz', gw.base))).status).toBe(200);
  console.log(`fuzz: ${sent} requests in ${Date.now() - started} ms (seed ${SEED}); statuses ${JSON.stringify(counts)}; Object.prototype untouched; process alive`);
});
