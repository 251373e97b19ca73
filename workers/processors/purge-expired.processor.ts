import type { Deps } from '../../src/deps.ts';
import { purgeExpired } from '../../src/domain/retention/purge-expired.ts';
import type { Processors } from '../start-workers.ts';

export const purgeExpiredProcessor =
  (deps: Deps): Processors['purge-expired'] =>
  (_payload, signal) =>
    purgeExpired(deps, { signal });
