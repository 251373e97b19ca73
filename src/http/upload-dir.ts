import path from 'node:path';
import type { Deps } from '../deps.ts';

/** Where uploads stream to; each file is removed when its request ends, however it ends. */
export function uploadDirOf(deps: Pick<Deps, 'config'>): string {
  return path.join(deps.config.jobs.uploadDir, 'mailsift-uploads');
}
