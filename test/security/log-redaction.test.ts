// The logger's redaction layer: secret-bearing keys are replaced, and tokens or keys embedded
// in any string (messages included) are masked.
import { expect, test } from 'vitest';
import { capturedLogger } from '../support/http.ts';

test('tokens, keys and secret fields never reach a log line', () => {
  const { logger, lines } = capturedLogger();
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJabnF2Y2FuYXJ5In0.c2lnbmF0dXJlWnpxdmNhbmFyeQ';
  const key = 'gwk_AbCdEfGhIjKl_ZzqvcanaryZzqvcanaryZzqvcanary123';
  logger.info({ authorization: 'Bearer Zzqvcanary-a', nested: { token: 'Zzqvcanary-b', detail: `header was Bearer Zzqvcanary-c` }, adminToken: 'Zzqvcanary-d', list: [key] }, `got ${jwt}`);
  logger.warn(`key ${key} refused`);
  logger.info({ body: { name: 'Zzqvcanary-e' }, query: 'name=Zzqvcanary-f', resource: { id: 'Zzqvcanary-g' } }, 'shape only');
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    expect(line).not.toMatch(/Zzqvcanary|eyJhbGci|gwk_AbCd/);
  }
  expect(lines[0]).toContain('[redacted]');
});
