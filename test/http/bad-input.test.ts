// RELIABILITY.md scenarios 18-25: every bad body gets a 4xx OperationOutcome, nothing of the
// body is echoed in the response or the log, and the process keeps serving.
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { capturedLogger, listen, type Running } from '../support/http.ts';

const CANARY = 'Zzcanary-Quillon-4471';
const stored: unknown[] = [];
let running: Running;
const log = capturedLogger();

beforeAll(async () => {
  const router = express.Router();
  router.post('/Basic', (req, res) => {
    stored.push(req.body);
    res.status(201).json({ resourceType: 'Basic', id: String(stored.length) });
  });
  const app = createApp({
    logger: log.logger,
    limits: { bodyBytes: 64 * 1024, jsonDepth: 50 },
    baseUrl: 'http://127.0.0.1/',
    version: 'test',
    readiness: [],
    modules: [{ router }],
  });
  running = await listen(app);
});

afterAll(async () => {
  await running.close();
});

async function post(body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/fhir+json' }) {
  const response = await fetch(`${running.url}/Basic`, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), text, json: JSON.parse(text) as { resourceType: string; issue?: { details?: { text?: string } }[] } };
}

const good = JSON.stringify({ resourceType: 'Basic', code: { text: CANARY } });

describe('accepted media types', () => {
  test.each(['application/fhir+json', 'application/json', 'application/fhir+json; charset=utf-8', 'application/json;charset=UTF-8'])('%s is parsed', async (type) => {
    const before = stored.length;
    const r = await post(good, { 'content-type': type });
    expect(r.status).toBe(201);
    expect(stored.length).toBe(before + 1);
    expect(stored[stored.length - 1]).toEqual(JSON.parse(good));
  });

  test.each(['text/plain', 'application/xml', 'application/fhir+xml', 'multipart/form-data; boundary=x'])('%s is 415', async (type) => {
    const r = await post(good, { 'content-type': type });
    expect(r.status).toBe(415);
    expect(r.json.resourceType).toBe('OperationOutcome');
  });

  test('a charset other than UTF-8 is 415', async () => {
    expect((await post(good, { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
  });
});

describe('each bad body is a 4xx OperationOutcome that does not echo the body', () => {
  const cases: [string, string | Uint8Array, number][] = [
    ['truncated', `{"resourceType":"Basic","code":{"text":"${CANARY}"`, 400],
    ['trailing comma', `{"resourceType":"Basic","note":"${CANARY}",}`, 400],
    ['comment', `{"resourceType":"Basic" /* ${CANARY} */}`, 400],
    ['NaN', `{"resourceType":"Basic","x":NaN,"t":"${CANARY}"}`, 400],
    ['byte order mark', `\uFEFF{"resourceType":"Basic","t":"${CANARY}"}`, 400],
    ['empty body', ' ', 400],
    ['duplicate key at the top', `{"resourceType":"Basic","id":"a","id":"${CANARY}"}`, 400],
    ['duplicate key deep down', `{"resourceType":"Basic","extension":[{"url":"u","valueString":"${CANARY}","url":"v"}]}`, 400],
    ['duplicate key spelled with an escape', `{"resourceType":"Basic","id":"a","\\u0069d":"${CANARY}"}`, 400],
    ['__proto__ key', `{"resourceType":"Basic","__proto__":{"polluted":"${CANARY}"}}`, 400],
    ['constructor.prototype keys', `{"resourceType":"Basic","constructor":{"prototype":{"polluted":"${CANARY}"}}}`, 400],
    ['nesting 10k deep', `${'['.repeat(10_000)}"${CANARY}"${']'.repeat(10_000)}`, 400],
    ['nesting past the limit', `{"a":${'{"a":'.repeat(60)}"${CANARY}"${'}'.repeat(61)}`, 400],
    ['lone high surrogate escape', `{"resourceType":"Basic","t":"${CANARY}\\ud800"}`, 400],
    ['lone low surrogate escape', `{"resourceType":"Basic","t":"\\udc00${CANARY}"}`, 400],
    ['invalid UTF-8 bytes', Buffer.concat([Buffer.from(`{"resourceType":"Basic","t":"${CANARY}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 400],
    ['UTF-8 encoded surrogate', Buffer.concat([Buffer.from(`{"t":"${CANARY}`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), 400],
    ['oversized body', `{"resourceType":"Basic","t":"${CANARY}${'x'.repeat(70 * 1024)}"}`, 413],
  ];

  test.each(cases)('%s', async (_name, body, status) => {
    const before = stored.length;
    const linesBefore = log.lines.length;
    const r = await post(body);
    expect(r.status).toBe(status);
    expect(r.type).toContain('application/fhir+json');
    expect(r.json.resourceType).toBe('OperationOutcome');
    expect(r.json.issue?.[0]?.details?.text).toBeTruthy();
    expect(r.text).not.toContain(CANARY);
    expect(stored.length).toBe(before);
    expect(log.lines.slice(linesBefore).join('\n')).not.toContain(CANARY);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('a gzip bomb is cut at the limit with 413', async () => {
    const bomb = gzipSync(Buffer.from(`{"t":"${CANARY}${'0'.repeat(50 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.text).not.toContain(CANARY);
  });

  test('a gzip body within the limit is accepted', async () => {
    const r = await post(gzipSync(Buffer.from(good)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(r.status).toBe(201);
  });

  test('an unknown content encoding is 415', async () => {
    expect((await post(good, { 'content-type': 'application/json', 'content-encoding': 'compress' })).status).toBe(415);
  });

  test('the process still serves after all of the above', async () => {
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await post(good)).status).toBe(201);
  });
});

describe('routing errors are OperationOutcomes too', () => {
  test('an unknown route is 404 without echoing the path data', async () => {
    const response = await fetch(`${running.url}/nothing-here/${CANARY}?name=${CANARY}`);
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
    expect(text).not.toContain(CANARY);
    expect(log.lines.join('\n')).not.toContain(CANARY);
  });

  test('the request id is echoed when it is safe and replaced when it is not', async () => {
    const a = await fetch(`${running.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(a.headers.get('x-request-id')).toBe('abc-123');
    const b = await fetch(`${running.url}/healthz`, { headers: { 'x-request-id': `${CANARY} <script>` } });
    expect(b.headers.get('x-request-id')).not.toContain(CANARY);
  });
});
