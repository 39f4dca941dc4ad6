// The security section of the configuration: defaults, environment variables, and how the
// anonymous-access default follows demo mode.
import { expect, test } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/config/load.ts';
import { adminTokenHash, securityLayer } from '../../src/http/auth-wiring.ts';
import { hashSecret } from '../../src/security/api-keys.ts';
import type { Store } from '../../src/store/store.ts';
import { capturedLogger } from '../support/http.ts';

const env = (extra: Record<string, string>) => ({ ...extra, HOME: '/nonexistent' });

test('defaults: anonymous access unset, 300 s tokens, a rate limit and an empty allow-list', () => {
  const config = loadConfig({ cwd: '/tmp', env: env({}) });
  expect(config.security).toEqual({ tokenLifetimeSeconds: 300, rateLimit: { requestsPerMinute: 600, burst: 100 }, urlAllowList: [] });
});

test('environment variables set anonymous access, the admin token and the token secret', () => {
  const admin = 'a'.repeat(32);
  const config = loadConfig({ cwd: '/tmp', env: env({ GATEWAY_ALLOW_ANONYMOUS: 'false', GATEWAY_ADMIN_TOKEN: admin, GATEWAY_TOKEN_SECRET: 's'.repeat(40) }) });
  expect(config.security.allowAnonymous).toBe(false);
  expect(adminTokenHash(config)).toBe(hashSecret(admin));
  expect(() => loadConfig({ cwd: '/tmp', env: env({ GATEWAY_ADMIN_TOKEN: 'short' }) })).toThrow(/security.adminToken/);
  expect(() => loadConfig({ cwd: '/tmp', env: env({ GATEWAY_ALLOW_ANONYMOUS: 'yes' }) })).toThrow(/security.allowAnonymous/);
});

test('anonymous access follows demo mode unless configured', () => {
  const { logger, lines } = capturedLogger();
  const base = { ...defaultConfig('/tmp') };
  const store = {} as Store;
  const layer = (allowAnonymous: boolean | undefined, demo: boolean) =>
    securityLayer({ config: { ...base, security: { ...base.security, allowAnonymous } }, store, logger, baseUrl: 'http://127.0.0.1:1/', demo }).allowAnonymous;
  expect([layer(undefined, true), layer(undefined, false), layer(false, true), layer(true, false)]).toEqual([true, false, false, true]);
  expect(lines.some((l) => l.includes('anonymous access is allowed'))).toBe(true);
});
