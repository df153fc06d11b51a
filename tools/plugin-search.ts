/**
 * Where plugins are looked for, and turning those places into component files. The search path
 * is: `--plugins` directories (in order), then `POCKET_PLUGIN_PATH`, `./plugins`, the installed
 * plugins (`$POCKET_HOME/plugins`, default `~/.pocket/plugins`), `/usr/local/share/pocket/plugins`.
 * A directory may hold `.wasm` files and plugin project directories (built on demand), or be a
 * plugin project itself. The first copy of a plugin (by name) found wins: a later copy of the
 * same name is shadowed (a one-line note says which shadows which) and never loaded.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { LOCK_FILE, learnedMetadata, openInstalled, readComponent, readLock } from '../host/src/index.js';
import { UsageError } from './cli-support.js';
import { isProjectDir } from './build/project.js';
import { resolvePluginFile } from './plugin-source.js';
import type { StepReporter } from './ui/steps.js';

export function pluginSearchPath(extra: string[] = []): string[] {
  const fromEnv = (process.env.POCKET_PLUGIN_PATH ?? '').split(delimiter).filter(Boolean);
  const home = process.env.POCKET_HOME ? join(process.env.POCKET_HOME, 'plugins') : join(homedir(), '.pocket', 'plugins');
  const all = [...extra, ...fromEnv, resolve('plugins'), home, '/usr/local/share/pocket/plugins'].map((d) => resolve(d));
  return [...new Set(all)];
}

/** Every `--plugins` directory must exist: a typo is an error naming it, never a silent skip. */
export function checkPluginDirs(dirs: string[], flag = '--plugins'): void {
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new UsageError(`${flag} ${dir}: no such directory`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: not a directory; give the folder holding plugin .wasm files or plugin projects`);
  }
}

/** A plugin component found on the search path. */
export interface FoundPlugin {
  file: string;
  /** The plugin's name, when known without running it (its section, or metadata learned before). */
  name?: string;
  version?: string;
  sha256?: string;
  /** Found in a directory managed by `pocket-wit install`. */
  installed: boolean;
}

/** A path for messages: `./x` under the current directory, `~/x` under the home directory. */
export function shortPath(path: string): string {
  const abs = resolve(path);
  const cwd = process.cwd();
  if (abs.startsWith(cwd + sep)) return `.${sep}${relative(cwd, abs)}`;
  const home = homedir();
  if (home && abs.startsWith(home + sep)) return `~${sep}${relative(home, abs)}`;
  return abs;
}

/** The note printed when `first` shadows `later` (the same plugin name found later on the path). */
export function shadowNote(name: string, first: { file: string; installed: boolean }, later: { file: string; installed: boolean }): string {
  const what = (p: { installed: boolean }): string => (p.installed ? `the installed ${name}` : name);
  return `note: plugin ${name} from ${shortPath(first.file)} shadows ${what(later)} (${shortPath(later.file)}); the first found on the plugin search path wins`;
}

/**
 * Every plugin found in `dirs` (projects built when stale), in search order, each name once: a
 * later copy of a plugin already found is left out, with a note through `say` (nothing when the
 * bytes are the same). The directories in `explicit` (--plugins) must exist; a plugin project
 * there that cannot be built is an error, while in the default locations it is reported
 * through `say` and skipped, so one stray folder does not stop every flow. Installed plugins
 * whose bytes do not match their lock entry are always an error.
 */
export async function findPlugins(dirs: string[], steps: StepReporter, explicit: string[] = dirs, say: (message: string) => void = () => {}): Promise<FoundPlugin[]> {
  checkPluginDirs(explicit);
  const strict = new Set(explicit.map((d) => resolve(d)));
  const found: FoundPlugin[] = [];
  const byName = new Map<string, FoundPlugin>();
  const seenFiles = new Set<string>();
  for (const dir of dirs) {
    const installed = existsSync(join(dir, LOCK_FILE));
    for (const file of await pluginFilesIn(dir, steps, strict.has(resolve(dir)) ? undefined : say)) {
      if (seenFiles.has(resolve(file))) continue;
      seenFiles.add(resolve(file));
      const plugin: FoundPlugin = { file, installed, ...(await identify(file)) };
      const first = plugin.name === undefined ? undefined : byName.get(plugin.name);
      if (first) {
        if (first.sha256 !== plugin.sha256) say(shadowNote(plugin.name!, first, plugin));
        continue; // shadowed: not loaded
      }
      if (plugin.name !== undefined) byName.set(plugin.name, plugin);
      found.push(plugin);
    }
  }
  return found;
}

/** The component files of `findPlugins`. */
export async function findPluginFiles(dirs: string[], steps: StepReporter, explicit: string[] = dirs, say: (message: string) => void = () => {}): Promise<string[]> {
  return (await findPlugins(dirs, steps, explicit, say)).map((p) => p.file);
}

/** A component's name, version and sha256 without running it; nothing when it cannot be read (loading it reports why). */
async function identify(file: string): Promise<{ name?: string; version?: string; sha256?: string }> {
  try {
    const component = await readComponent(file);
    const known = component.section?.manifest ?? learnedMetadata(component.sha256);
    return { sha256: component.sha256, ...(known ? { name: known.name, version: known.version } : {}) };
  } catch {
    return {};
  }
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
