// The source Task's summary over its downstream Tasks, as documented in
// src/workflow/status-reflection.ts (first matching rule wins).
import { describe, expect, it } from 'vitest';
import { summaryStatus } from '../../src/workflow/status-reflection.ts';
import type { ReferralTaskStatus } from '../../src/workflow/task-status.ts';

const CASES: [ReferralTaskStatus[], string][] = [
  [[], 'unchanged'],
  [['entered-in-error'], 'unchanged'],
  [['requested'], 'unchanged'],
  [['requested', 'rejected'], 'unchanged'],
  [['draft'], 'unchanged'],
  [['accepted', 'rejected'], 'accepted'],
  [['accepted', 'requested'], 'accepted'],
  [['on-hold', 'accepted'], 'on-hold'],
  [['in-progress', 'on-hold'], 'in-progress'],
  [['completed', 'in-progress', 'rejected'], 'completed'],
  [['completed', 'failed'], 'completed'],
  [['rejected'], 'rejected'],
  [['rejected', 'rejected', 'entered-in-error'], 'rejected'],
  [['rejected', 'cancelled'], 'cancelled'],
  [['cancelled'], 'cancelled'],
  [['failed', 'rejected'], 'failed'],
  [['failed', 'cancelled'], 'failed'],
];

describe('summary status of a source over its downstream Tasks', () => {
  it.each(CASES)('%j -> %s', (statuses, expected) => {
    expect(summaryStatus(statuses)).toBe(expected);
  });

  it('does not depend on the order of the downstream Tasks', () => {
    for (const [statuses, expected] of CASES) {
      expect(summaryStatus([...statuses].reverse())).toBe(expected);
    }
  });
});
