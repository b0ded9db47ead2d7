import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Whether a user who is neither the owner nor in the group can walk down to `path`: every
 * existing folder above it must let others through (o+x). As root, the embedded server runs as
 * the `postgres` user, and that user is such an "other".
 */
export function isReachableByOthers(path: string): boolean {
  for (let parent = dirname(resolve(path)); ; parent = dirname(parent)) {
    if (existsSync(parent) && (statSync(parent).mode & 0o001) === 0) return false;
    if (parent === dirname(parent)) return true;
  }
}
