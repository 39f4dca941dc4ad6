import type { AuditEvent } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { auditHash, canonicalJson, findBrokenLink, GENESIS_HASH } from './audit-chain.ts';
import type { AuditRecord } from './store.ts';

function chain(count: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const event = { resourceType: 'AuditEvent', id: `e${seq}` } as AuditEvent;
    const record = { seq, recorded: `2025-01-01T00:00:0${seq}.000Z`, tenant: 't', event };
    const hash = auditHash(prevHash, record);
    records.push({ ...record, prevHash, hash });
    prevHash = hash;
  }
  return records;
}

describe('audit hash chain', () => {
  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('accepts an intact chain', () => {
    expect(findBrokenLink(chain(4))).toBeUndefined();
  });

  it('finds a changed, removed or reordered record', () => {
    const changed = chain(4).map((r) => (r.seq === 3 ? { ...r, event: { ...r.event, id: 'x' } } : r));
    expect(findBrokenLink(changed)).toBe(3);
    const removed = chain(4).filter((r) => r.seq !== 2);
    expect(findBrokenLink(removed)).toBe(3);
    const [a, b, ...rest] = chain(4);
    expect(findBrokenLink([b, a, ...rest])).toBe(2);
  });
});
