// The subscription bookkeeping of the store on SQLite and PostgreSQL (a fresh store each), the
// gap arithmetic, and the subscription settings: loader defaults, bad values, secrets read from
// environment or file and never echoed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { EhrConfig } from '../../src/config/config.ts';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import type { Store } from '../../src/store/store.ts';
import { missingEvents } from '../../src/sync/subscription-receiver.ts';
import { presentedSecretMatches, subscriptionSecrets } from '../../src/sync/subscription-secrets.ts';
import { openTestPostgres, openTestSqlite, postgresUrl } from '../store/open-test-store.ts';

const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
  }
});

const kinds: [string, () => Promise<Store>][] = [['sqlite', () => openTestSqlite()]];
const pgUrl = postgresUrl().url;
if (pgUrl) {
  kinds.push(['postgres', () => openTestPostgres(pgUrl)]);
}

for (const [kind, open] of kinds) {
  describe(`subscription channels in the store (${kind})`, () => {
    it('keeps event numbers, the highest known number, coverage and last contact durably', async () => {
      const store = await open();
      opened.push(store);
      const channel = 'ehr-a|https://ehr.example/fhir/Subscription/1';
      const first = await store.noteSubscriptionContact(channel, 'ehr-a', 0);
      expect(first.before).toBeUndefined();
      expect(first.after).toMatchObject({ channel, ehr: 'ehr-a', covered: 0, highest: 0, recordedAbove: 0 });

      const second = await store.noteSubscriptionContact(channel, 'ehr-a', 3);
      expect(second.before?.highest).toBe(0);
      expect(second.after.highest).toBe(3);
      // A lower number never lowers the highest one (out-of-order arrival).
      expect((await store.noteSubscriptionContact(channel, 'ehr-a', 1)).after.highest).toBe(3);

      expect(await store.recordSubscriptionEvent(channel, 1)).toBe(true);
      expect(await store.recordSubscriptionEvent(channel, 1)).toBe(false);
      expect(await store.recordSubscriptionEvent(channel, 3)).toBe(true);
      expect(await store.hasSubscriptionEvent(channel, 1)).toBe(true);
      expect(await store.hasSubscriptionEvent(channel, 2)).toBe(false);
      const gapped = await store.getSubscriptionChannel(channel);
      expect(gapped?.recordedAbove).toBe(2);
      expect(missingEvents(gapped!)).toBe(1);

      await store.coverSubscriptionEvents(channel, 3);
      await store.coverSubscriptionEvents(channel, 2);
      const covered = await store.getSubscriptionChannel(channel);
      expect(covered).toMatchObject({ covered: 3, highest: 3, recordedAbove: 0 });
      expect(missingEvents(covered!)).toBe(0);

      // Numbers far below the covered mark are forgotten (bounded table); recent ones are kept.
      await store.recordSubscriptionEvent(channel, 20_005);
      await store.coverSubscriptionEvents(channel, 20_005);
      expect(await store.hasSubscriptionEvent(channel, 1)).toBe(false);
      expect(await store.hasSubscriptionEvent(channel, 20_005)).toBe(true);

      // Another channel of the same EHR, and another EHR.
      await store.noteSubscriptionContact('ehr-a|https://ehr.example/fhir/Subscription/2', 'ehr-a', 0);
      const last = await store.lastSubscriptionContact('ehr-a');
      expect(Date.parse(last ?? '')).toBeGreaterThanOrEqual(Date.parse(covered?.lastSeenAt ?? ''));
      expect(await store.lastSubscriptionContact('ehr-b')).toBeUndefined();
      expect(await store.hasSubscriptionEvent('ehr-a|https://ehr.example/fhir/Subscription/2', 1)).toBe(false);
      console.log(`store (${kind}): channel after gap ${JSON.stringify({ covered: gapped?.covered, highest: gapped?.highest, recordedAbove: gapped?.recordedAbove })}, after catch-up ${JSON.stringify({ covered: covered?.covered, highest: covered?.highest })}`);
    });
  });
}

describe('subscription settings', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function configFile(yaml: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'subs-config-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.config.yaml');
    writeFileSync(file, yaml);
    return file;
  }

  const ehrYaml = (subscription: string): string =>
    `ehrs:\n  - name: clinic\n    baseUrl: https://ehr.example/fhir/\n    organizations: [Organization/food-bank]\n    subscription:\n${subscription}`;

  it('fills the defaults of a subscription block', () => {
    const config = loadConfig({ file: configFile(ehrYaml('      secretEnv: CLINIC_SUBSCRIPTION_SECRET\n')), env: {} });
    expect(config.ehrs[0].subscription).toEqual({ secretEnv: 'CLINIC_SUBSCRIPTION_SECRET', header: 'X-Subscription-Secret', heartbeatSeconds: 300, payload: 'id-only' });
  });

  it('names a bad subscription setting', () => {
    expect(() => loadConfig({ file: configFile(ehrYaml('      secretEnv: X_SECRET\n      payload: everything\n')), env: {} })).toThrow(/ehrs\[0\]\.subscription\.payload must be one of id-only, full-resource/);
    expect(() => loadConfig({ file: configFile(ehrYaml('      secretEnv: X_SECRET\n      heartbeatSeconds: 0\n')), env: {} })).toThrow(/ehrs\[0\]\.subscription\.heartbeatSeconds/);
    expect(() => loadConfig({ file: configFile(ehrYaml('      secret: in-the-file\n')), env: {} })).toThrow(/ehrs\[0\]\.subscription\.secret is not a known setting/);
  });

  it('reads secrets from the environment or a file, refuses missing or short ones without echoing them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'subs-secret-'));
    dirs.push(dir);
    const file = path.join(dir, 'secret');
    writeFileSync(file, 'file-secret-0123456789abcdef\n');
    const ehr = (subscription: EhrConfig['subscription']): EhrConfig => ({ name: 'clinic', baseUrl: 'https://ehr.example/fhir/', auth: { kind: 'none' }, organizations: [], pollSchedule: '* * * * *', timeoutMs: 1000, subscription });
    const settings = { header: 'X-Hook-Secret', heartbeatSeconds: 60, payload: 'id-only' as const };

    const fromEnv = subscriptionSecrets([ehr({ ...settings, secretEnv: 'S' })], { S: 'env-secret-0123456789abcdef' }).get('clinic');
    expect(fromEnv?.header).toBe('x-hook-secret');
    expect(presentedSecretMatches(fromEnv, 'env-secret-0123456789abcdef')).toBe(true);
    expect(presentedSecretMatches(fromEnv, 'env-secret-0123456789abcdeF')).toBe(false);
    expect(presentedSecretMatches(fromEnv, undefined)).toBe(false);
    expect(presentedSecretMatches(fromEnv, ['env-secret-0123456789abcdef'])).toBe(false);
    expect(presentedSecretMatches(undefined, 'env-secret-0123456789abcdef')).toBe(false);

    const fromFile = subscriptionSecrets([ehr({ ...settings, secretFile: file })]).get('clinic');
    expect(presentedSecretMatches(fromFile, 'file-secret-0123456789abcdef')).toBe(true);

    const failures = [
      () => subscriptionSecrets([ehr({ ...settings, secretEnv: 'MISSING' })], {}),
      () => subscriptionSecrets([ehr({ ...settings, secretEnv: 'S' })], { S: 'short-secret' }),
      () => subscriptionSecrets([ehr({ ...settings, secretFile: path.join(dir, 'absent') })]),
    ];
    const texts = failures.map((fail) => {
      try {
        fail();
        return 'no error';
      } catch (error) {
        expect(error).toBeInstanceOf(OperationOutcomeError);
        return (error as OperationOutcomeError).outcome.issue?.[0]?.details?.text ?? '';
      }
    });
    console.log(`secret problems: ${texts.join(' | ')}`);
    expect(texts[0]).toContain('No subscription secret for EHR clinic');
    expect(texts[1]).toContain('at least 16 characters');
    expect(texts[2]).toContain('cannot be read');
    expect(texts.join(' ')).not.toContain('short-secret');
    expect(texts.join(' ')).not.toContain(dir);
  });
});
