/**
 * Where plugins are looked for, and turning those places into component files. The search path
 * is: `--plugins` directories (in order), then `POCKET_PLUGIN_PATH`, `./plugins`,
 * `~/.pocket/plugins`, `/usr/local/share/pocket/plugins`. A directory may hold `.wasm` files and
 * plugin project directories (built on demand), or be a plugin project itself.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { LOCK_FILE, openInstalled, readLock } from '../host/src/index.js';
import { isProjectDir } from './build/project.js';
import { resolvePluginFile } from './plugin-source.js';
import type { StepReporter } from './ui/steps.js';

export function pluginSearchPath(extra: string[] = []): string[] {
  const fromEnv = (process.env.POCKET_PLUGIN_PATH ?? '').split(delimiter).filter(Boolean);
  const home = process.env.POCKET_HOME ? join(process.env.POCKET_HOME, 'plugins') : join(homedir(), '.pocket', 'plugins');
  const all = [...extra, ...fromEnv, resolve('plugins'), home, '/usr/local/share/pocket/plugins'].map((d) => resolve(d));
  return [...new Set(all)];
}

/** Every plugin component found in `dirs` (projects built when stale), in search order. */
export async function findPluginFiles(dirs: string[], steps: StepReporter): Promise<string[]> {
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    if (isProjectDir(dir)) {
      files.push(await resolvePluginFile(dir, steps));
      continue;
    }
    if (existsSync(join(dir, LOCK_FILE))) {
      // A plugin directory managed by `pocket-wit install`: its lock file says what is there,
      // and every component is checked against its recorded sha256 before use.
      for (const name of Object.keys(readLock(dir).plugins).sort()) files.push(await openInstalled(dir, name));
      continue;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name.endsWith('.wasm')) files.push(path);
      else if (entry.isDirectory() && isProjectDir(path)) files.push(await resolvePluginFile(path, steps));
    }
  }
  return files;
}
