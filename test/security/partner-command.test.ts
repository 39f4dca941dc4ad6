// `gateway partner`: a key issued by the CLI authenticates on the FHIR API; revoked, it does not.
import { expect, test } from 'vitest';
import { runPartner } from '../../src/cli/partner-command.ts';
import { fhir, startSecureGateway } from './support.ts';

test('partner add, key, list and revoke through the CLI', async () => {
  const gw = await startSecureGateway();
  try {
    const dir = ['--data-dir', gw.config.dataDir];
    let out = '';
    const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s) };
    expect(await runPartner(['add', 'gamma', '--name', 'Gamma', '--organization', 'Organization/gamma', ...dir], io)).toBe(0);
    expect(await runPartner(['key', 'gamma', '--scope', 'system/Task.rs', ...dir], io)).toBe(0);
    const key = /key \(shown once\): (gwk_\S+)/.exec(out)![1];
    const credential = /credential (\S+)\n/.exec(out)![1];
    expect((await fhir(gw, 'GET', 'Task', key)).status).toBe(200);
    expect((await fhir(gw, 'POST', 'Task', key, { resourceType: 'Task', status: 'requested', intent: 'order' })).status).toBe(403);
    out = '';
    expect(await runPartner(['list', ...dir], io)).toBe(0);
    expect(out).toContain('gamma\ttenant=gamma');
    expect(out).not.toContain(key);
    expect(await runPartner(['revoke', credential, ...dir], io)).toBe(0);
    expect((await fhir(gw, 'GET', 'Task', key)).status).toBe(401);
    expect(await runPartner(['key', 'gamma', '--scope', 'user/Task.rs', ...dir], io)).toBe(2);
    expect(await runPartner(['key', 'nobody', '--scope', 'system/Task.rs', ...dir], io)).toBe(2);
  } finally {
    await gw.close();
  }
});
