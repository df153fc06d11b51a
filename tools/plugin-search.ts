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

/**
 * Every plugin component found in `dirs` (projects built when stale), in search order. A plugin
 * project that cannot be built is an error in a directory named in `explicit` (--plugins); in the
 * default locations it is reported through `warn` and skipped, so one stray folder does not stop
 * every flow. Installed plugins whose bytes do not match their lock entry are always an error.
 */
export async function findPluginFiles(dirs: string[], steps: StepReporter, explicit: string[] = dirs, warn: (message: string) => void = () => {}): Promise<string[]> {
  const strict = new Set(explicit.map((d) => resolve(d)));
  const files: string[] = [];
  for (const dir of dirs) files.push(...(await pluginFilesIn(dir, steps, strict.has(resolve(dir)) ? undefined : warn)));
  return files;
}

async function pluginFilesIn(dir: string, steps: StepReporter, warn?: (message: string) => void): Promise<string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const project = async (path: string): Promise<string[]> => {
    try {
      return [await resolvePluginFile(path, steps)];
    } catch (err) {
      if (!warn) throw err;
      warn(`warning: skipped ${path}: ${(err as Error).message.split('\n')[0]}`);
      return [];
    }
  };
  if (isProjectDir(dir)) return project(dir);
  if (existsSync(join(dir, LOCK_FILE))) {
    // A plugin directory managed by `pocket-wit install`: its lock file says what is there,
    // and every component is checked against its recorded sha256 before use.
    const files: string[] = [];
    for (const name of Object.keys(readLock(dir).plugins).sort()) files.push(await openInstalled(dir, name));
    return files;
  }
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.wasm')) files.push(path);
    else if (entry.isDirectory() && isProjectDir(path)) files.push(...(await project(path)));
  }
  return files;
}
