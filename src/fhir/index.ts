export * from './outcomes.ts';
export * from './errors.ts';
export * from './http-status.ts';
