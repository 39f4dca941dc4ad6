// Public entry point of the referral workflow rules (pure: no I/O, no clock, no randomness).
export * from './actor.ts';
export * from './consent.ts';
export * from './downstream.ts';
export * from './local-copies.ts';
export * from './minimum-necessary.ts';
export * from './origination.ts';
export * from './outcomes-back.ts';
export * from './references.ts';
export * from './resource-diff.ts';
export * from './sdohcc.ts';
export * from './status-reflection.ts';
export * from './task-change.ts';
export * from './task-status.ts';
