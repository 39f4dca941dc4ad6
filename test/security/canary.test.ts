// RELIABILITY.md scenario 31: distinctive PHI-like values sent in bodies, queries, headers,
// paths and bad inputs never appear in the captured logs, in error bodies or in /metrics.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fhir, requestToken, startSecureGateway, type FhirAnswer, type SecureGateway } from './support.ts';

const CANARY = 'Zzqvcanary7731';
let gw: SecureGateway;

beforeAll(async () => {
  gw = await startSecureGateway();
});

afterAll(async () => {
  await gw?.close();
});

test('canary values never reach logs, error bodies or metrics', async () => {
  const c = (n: number) => `${CANARY}${n}`;
  const key = gw.keys.alpha;
  const answers: { name: string; answer: FhirAnswer }[] = [];
  const send = async (name: string, ...args: Parameters<typeof fhir> extends [unknown, ...infer R] ? R : never) => {
    answers.push({ name, answer: await fhir(gw, ...args) });
  };
  const patient = { resourceType: 'Patient', name: [{ family: c(1), given: [c(2)] }], identifier: [{ system: 'urn:test:mrn', value: c(3) }], birthDate: '1970-01-01' };
  await send('valid create', 'POST', 'Patient', key, patient);
  await send('invalid create', 'POST', 'Patient', key, { ...patient, birthDate: c(4), gender: c(5) });
  await send('unknown element', 'POST', 'Patient', key, { ...patient, unknownElement: c(7) });
  await send('malformed JSON', 'POST', 'Patient', key, `{"resourceType":"Patient","name":[{"family":"${c(8)}"}],`);
  await send('duplicate key', 'POST', 'Patient', key, `{"resourceType":"Patient","id":"${c(9)}","id":"${c(10)}"}`);
  await send('wrong type', 'POST', 'Patient', key, { resourceType: c(11) });
  await send('bad content type', 'POST', 'Patient', key, undefined, { 'content-type': `text/${c(12)}` });
  await send('search by identifier', 'GET', `Patient?identifier=urn:test:mrn|${c(13)}`, key);
  await send('search by name', 'GET', `Patient?name=${c(14)}`, key);
  await send('unknown search parameter', 'GET', `Patient?unknown-param=${c(16)}`, key, undefined, { prefer: 'handling=strict' });
  await send('bad _count', 'GET', `Patient?_count=${c(17)}`, key);
  await send('bad date', 'GET', `Patient?birthdate=${c(18)}`, key);
  await send('read unknown id', 'GET', `Patient/${c(19)}`, key);
  await send('unknown route', 'GET', `${c(20)}/${c(21)}`, key);
  await send('bearer token canary', 'GET', 'Patient', c(22));
  await send('api key canary', 'GET', 'Patient', `gwk_${c(23).slice(0, 12)}_${'A'.repeat(18)}${c(24)}`);
  await send('other headers', 'GET', 'Patient', key, undefined, { 'user-agent': c(25), cookie: `session=${c(26)}`, referer: `https://x.example/${c(27)}`, 'x-forwarded-for': c(28) });
  await send('conditional create header', 'POST', 'Patient', key, patient, { 'if-none-exist': `identifier=${c(29)}` });
  await send('bad If-Match', 'PUT', `Patient/${c(30)}`, key, { ...patient, id: c(30) }, { 'if-match': `W/"${c(31)}"` });
  await send('transaction with canary', 'POST', '', key, { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...patient, gender: c(32) }, request: { method: 'POST', url: 'Patient' } }] });
  await send('read-only key writing', 'POST', 'Patient', gw.keys.alphaReadOnly, patient);
  await send('admin API with canary token', 'GET', 'admin/partners', c(33));
  const token = await requestToken(gw, `${c(34)}.${c(35)}.${c(36)}`, `system/${c(37)}.rs`);
  answers.push({ name: 'token endpoint', answer: { status: token.status, text: JSON.stringify(token.json), json: token.json, headers: new Headers() } });
  await send('validate with canary', 'POST', 'Patient/$validate', key, { ...patient, gender: c(38) });

  const errors = answers.filter(({ answer }) => answer.status >= 400);
  expect(errors.length).toBeGreaterThanOrEqual(15);
  for (const { name, answer } of errors) {
    expect([name, answer.text.includes(CANARY)]).toEqual([name, false]);
  }
  // Control: the canary is really in the store, so its absence elsewhere means something.
  const stored = await fhir(gw, 'GET', `Patient?identifier=urn:test:mrn|${c(3)}`, key);
  expect(stored.text).toContain(c(1));

  expect(gw.logLines.length).toBeGreaterThan(answers.length);
  const leaking = gw.logLines.filter((line) => line.includes(CANARY));
  expect(leaking).toEqual([]);

  const metrics = await fhir(gw, 'GET', 'metrics');
  const metricsChecked = metrics.status === 200;
  if (metricsChecked) {
    expect(metrics.text).not.toContain(CANARY);
  }
  console.log(`canary: ${answers.length} requests (${errors.length} errors), ${gw.logLines.length} log lines, /metrics ${metricsChecked ? 'checked' : `absent (${metrics.status})`}; canary occurrences: 0`);
});
