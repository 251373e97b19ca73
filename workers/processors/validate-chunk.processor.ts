import type { Deps } from '../../src/deps.ts';
import { processChunk } from '../../src/domain/jobs/process-chunk.ts';
import type { Processors } from '../start-workers.ts';

export const validateChunkProcessor =
  (deps: Deps): Processors['validate-chunk'] =>
  (payload, signal) =>
    processChunk(deps, payload, signal);
