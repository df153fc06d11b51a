/**
 * Turns a command's `<plugin>` argument into a component file: a `.wasm` path is used as it is;
 * a plugin project directory is built first when its component is missing or older than its
 * sources; any other word is the name of an installed plugin (`resolvePluginArg`).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { openInstalled, PluginError, pluginsDir, readLock } from '../host/src/index.js';
import { buildPlugin } from './build/build.js';
import { isProjectDir, newestSourceTime, readProject } from './build/project.js';
import type { StepReporter } from './ui/steps.js';

export async function resolvePluginFile(arg: string, steps: StepReporter): Promise<string> {
  if (!existsSync(arg)) throw new PluginError('not-found', `no plugin at ${arg}: give a .wasm component or a plugin project directory`);
  if (!statSync(arg).isDirectory()) return arg;
  if (!isProjectDir(arg)) {
    throw new PluginError('invalid-plugin', `${arg} is a directory without manifest.yaml; give a .wasm component or a plugin project directory`);
  }
  const project = readProject(arg);
  const out = project.defaultOutput;
  if (existsSync(out) && statSync(out).mtimeMs >= newestSourceTime(project)) return out;
  return (await buildPlugin(arg, { steps })).out;
}

/** What a `<plugin>` argument named: a file or project on disk, or an installed plugin. */
export interface ResolvedPlugin {
  file: string;
  /** The installed plugin's name when the argument named one (its bytes were checked against the lock file). */
  installed?: string;
}

/**
 * The one rule for a `<plugin>` argument (`run`, `info`): an argument that looks like a path (it
 * has a `/`, ends in `.wasm`, or is `.` or `..`) is a `.wasm` component or a project directory on
 * disk. A bare word is the name of a plugin installed in `dir` (default `$POCKET_HOME/plugins`,
 * integrity-checked against the lock file) when one is installed under it, else a file or
 * project directory of that name in the current directory.
 */
export async function resolvePluginArg(arg: string, steps: StepReporter, options: { dir?: string } = {}): Promise<ResolvedPlugin> {
  const looksLikePath = arg.includes('/') || arg.endsWith('.wasm') || arg === '.' || arg === '..';
  if (looksLikePath) return { file: await resolvePluginFile(arg, steps) };
  const dir = pluginsDir(options.dir ? resolve(options.dir) : undefined);
  if (readLock(dir).plugins[arg]) return { file: await openInstalled(dir, arg), installed: arg };
  if (existsSync(arg)) return { file: await resolvePluginFile(arg, steps) };
  throw new PluginError('not-found', `no installed plugin named ${arg} in ${dir} (see \`pocket-wit list\`), and no file or project directory ${arg} here; give a .wasm component, a plugin project directory or an installed plugin's name`);
}
