// Public surface of the mapping engine.
export { createMappingEngine } from './engine.ts';
export type { MapOptions, MappingEngine } from './engine.ts';
export { loadMappings, listMappingFolders, shippedMappingsDir } from './load.ts';
export { createStructuralValidator } from './structural-validator.ts';
export { runGoldenTests } from './golden.ts';
export type { GoldenResult } from './golden.ts';
export type { CompiledMapping, Direction, MapResult, PartnerRecord, ResourceValidator } from './types.ts';
