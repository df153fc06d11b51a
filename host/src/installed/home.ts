/** Where installed plugins live: `$POCKET_HOME/plugins` (default `~/.pocket/plugins`). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'pocket-lock.json';

export function pocketHome(): string {
  return process.env.POCKET_HOME || join(homedir(), '.pocket');
}

/** The plugin directory: `dir` when given, else `$POCKET_HOME/plugins`. */
export function pluginsDir(dir?: string): string {
  return dir ?? join(pocketHome(), 'plugins');
}
