// RELIABILITY.md scenario 30: webhook and EHR URLs pointing at loopback, link-local or private
// ranges are refused unless allow-listed; the count of refused targets is printed.
import { describe, expect, test } from 'vitest';
import { OperationOutcomeError } from '../../src/fhir/index.ts';
import { assertSafeUrl, assertSameOriginRedirect, type Resolver } from '../../src/security/url-guard.ts';

/** A resolver answering from a table, so the test needs no network. */
const table: Record<string, string[]> = {
  'public.example': ['93.184.215.14'],
  'internal.example': ['10.1.2.3'],
  'mixed.example': ['93.184.215.14', '192.168.1.10'],
  'rebind.example': ['127.0.0.1'],
  'v6-local.example': ['fd12:3456::1'],
  'mapped.example': ['::ffff:169.254.169.254'],
};
const resolver: Resolver = async (host) => (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, allowList: string[] = []): Promise<string | undefined> {
  try {
    await assertSafeUrl(url, allowList, resolver);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(OperationOutcomeError);
    const outcome = (error as OperationOutcomeError).outcome;
    expect(outcome.issue?.[0]?.code).toBe('forbidden');
    expect(JSON.stringify(outcome)).not.toContain('secret-token');
    return outcome.issue?.[0]?.details?.text;
  }
}

describe('assertSafeUrl', () => {
  test('loopback, link-local, private, unspecified and odd targets are refused', async () => {
    const targets = [
      'http://127.0.0.1/hook',
      'http://127.1.2.3:8080/hook',
      'http://localhost/hook?token=secret-token',
      'http://[::1]/hook',
      'http://0.0.0.0/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://10.0.0.5/',
      'http://172.16.4.4/',
      'http://172.31.255.255/',
      'http://192.168.0.1/',
      'http://100.64.1.1/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://internal.example/',
      'http://mixed.example/',
      'http://rebind.example/',
      'http://v6-local.example/',
      'http://mapped.example/',
      'http://unresolvable.example/',
      'file:///etc/passwd',
      'gopher://public.example/',
      'https://user:secret-token@public.example/',
      'not a url',
    ];
    let refused = 0;
    for (const url of targets) {
      const reason = await refusal(url);
      expect([url, typeof reason]).toEqual([url, 'string']);
      refused += 1;
    }
    console.log(`SSRF targets refused: ${refused}/${targets.length}`);
  });

  test('public hosts pass, and allow-listed hosts or ranges pass even when private', async () => {
    expect(await refusal('https://public.example/fhir')).toBeUndefined();
    expect(await refusal('https://93.184.215.14/fhir')).toBeUndefined();
    expect(await refusal('http://internal.example/', ['internal.example'])).toBeUndefined();
    expect(await refusal('http://10.9.9.9/', ['10.0.0.0/8'])).toBeUndefined();
    expect(await refusal('http://127.0.0.1:9999/', ['127.0.0.1'])).toBeUndefined();
    // The allow-list is exact: another private host stays refused.
    expect(await refusal('http://192.168.0.1/', ['10.0.0.0/8', 'internal.example'])).toBeTypeOf('string');
    expect(await refusal('http://mixed.example/', ['93.184.215.14/32'])).toBeTypeOf('string');
  });

  test('the real resolver refuses localhost', async () => {
    await expect(assertSafeUrl('http://localhost:8080/')).rejects.toBeInstanceOf(OperationOutcomeError);
  });

  test('redirects are followed only within the same origin', () => {
    expect(() => assertSameOriginRedirect('https://ehr.example/fhir/Task', '/fhir/Task?page=2')).not.toThrow();
    expect(() => assertSameOriginRedirect('https://ehr.example/fhir/Task', 'https://evil.example/steal')).toThrow(OperationOutcomeError);
    expect(() => assertSameOriginRedirect('https://ehr.example/fhir/Task', 'http://ehr.example/fhir/Task')).toThrow(OperationOutcomeError);
  });
});
