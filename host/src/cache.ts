/** Where pocket-wit keeps derived files (transpiled components). */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$POCKET_WIT_CACHE`, else `$XDG_CACHE_HOME/pocket-wit`, else `~/.cache/pocket-wit`. */
export function defaultCacheDir(): string {
  if (process.env.POCKET_WIT_CACHE) return process.env.POCKET_WIT_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'pocket-wit');
}
