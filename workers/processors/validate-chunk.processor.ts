import type { Deps } from '../../src/deps.ts';
import { processChunk } from '../../src/domain/jobs/process-chunk.ts';
import { catalog } from '../../src/queue/catalog.ts';

export const validateChunkProcessor = (deps: Deps) => async (data: unknown, signal?: AbortSignal) =>
  processChunk(deps, catalog['validate-chunk'].payload.parse(data), signal);
