export { memoryConsolidatorService } from './service.ts';
export type { MemoryConsolidatorOptions } from './service.ts';
export type { MemoryPort } from './shell/memory-port.ts';
