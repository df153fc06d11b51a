/**
 * The one rule turning a command's `<plugin>` argument into a component file, for every command
 * that takes one (`run`, `info`, `validate`, `test`; `build` and `pack` take projects only):
 *
 * 1. An argument that looks like a path (it has a `/`, ends in `.wasm`, or is `.` or `..`) is a
 *    `.wasm` component or a plugin project directory on disk, and nothing else.
 * 2. A bare word is the name of a plugin installed in the plugin directory (`--dir`, default
 *    `$POCKET_HOME/plugins`, i.e. `~/.pocket/plugins`), integrity-checked against the lock file.
 * 3. Else a bare word is a `.wasm` file or plugin project directory of that name in the current
 *    directory.
 *
 * The first match wins; when a bare word is both an installed name and something here, a note
 * says which is used and how to name the other (`./word`). A project directory is built first
 * when its component is missing or older than its sources (`resolvePluginFile`). docs/PLUGINS.md
 * ("Naming a plugin") documents this rule; workflows find plugins by the search path
 * (plugin-search.ts) instead.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean } from '../host/src/did-you-mean.js';
import { openInstalled, PluginError, pluginsDir, readLock } from '../host/src/index.js';
import { buildPlugin } from './build/build.js';
import { isProjectDir, isUpToDate, readProject } from './build/project.js';
import type { StepReporter } from './ui/steps.js';

export async function resolvePluginFile(arg: string, steps: StepReporter): Promise<string> {
  if (!existsSync(arg)) throw new PluginError('not-found', `no plugin at ${arg}: give a .wasm component or a plugin project directory`);
  if (!statSync(arg).isDirectory()) return arg;
  if (!isProjectDir(arg)) {
    throw new PluginError('invalid-plugin', `${arg} is a directory without manifest.yaml; give a .wasm component or a plugin project directory`);
  }
  const project = readProject(arg);
  if (isUpToDate(project)) return project.defaultOutput;
  return (await buildPlugin(arg, { steps })).out;
}

/** What a `<plugin>` argument named: a file or project on disk, or an installed plugin. */
export interface ResolvedPlugin {
  file: string;
  /** The installed plugin's name when the argument named one (its bytes were checked against the lock file). */
  installed?: string;
}

/** Where a `<plugin>` argument points, before anything is built: a path on disk, or an installed plugin. */
export type LocatedPlugin = { kind: 'path'; path: string } | { kind: 'installed'; name: string; file: string; dir: string };

export interface LocateOptions {
  /** The plugin directory installed names are looked up in (default `$POCKET_HOME/plugins`). */
  dir?: string;
  /** Told (one line) when a bare word is both an installed name and something here. */
  say?: (line: string) => void;
}

function looksLikePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || arg.endsWith('.wasm') || arg === '.' || arg === '..';
}

/** Something on disk a `<plugin>` argument can be: a file (a component), or a plugin project directory. */
function pluginOnDisk(arg: string): boolean {
  if (!existsSync(arg)) return false;
  return !statSync(arg).isDirectory() || isProjectDir(arg);
}

/** The rule above, without building anything: where `arg` points. */
export async function locatePluginArg(arg: string, options: LocateOptions = {}): Promise<LocatedPlugin> {
  if (looksLikePath(arg)) return { kind: 'path', path: arg };
  const dir = pluginsDir(options.dir ? resolve(options.dir) : undefined);
  const installed = Object.keys(readLock(dir).plugins);
  if (installed.includes(arg)) {
    if (pluginOnDisk(arg)) options.say?.(`note: ${arg} names the installed plugin ${arg} (${dir}); write ./${arg} for the ${statSync(arg).isDirectory() ? 'project directory' : 'file'} here`);
    return { kind: 'installed', name: arg, file: await openInstalled(dir, arg), dir };
  }
  if (existsSync(arg)) return { kind: 'path', path: arg };
  throw new PluginError(
    'not-found',
    `no installed plugin named ${arg}${didYouMean(arg, installed)} in ${dir} (see \`pocket-wit list\`), and no file or project directory ${arg} here; give a .wasm component, a plugin project directory or an installed plugin's name`,
  );
}

/** The rule above, to a component file: a path as `resolvePluginFile` takes it (a project built when stale), or an installed plugin's checked file. */
export async function resolvePluginArg(arg: string, steps: StepReporter, options: LocateOptions = {}): Promise<ResolvedPlugin> {
  const located = await locatePluginArg(arg, { say: (line) => void process.stderr.write(`${line}\n`), ...options });
  if (located.kind === 'installed') return { file: located.file, installed: located.name };
  return { file: await resolvePluginFile(located.path, steps) };
}

/**
 * For commands that need a plugin's sources (`build`, `pack`): `arg` must be a project directory.
 * An installed plugin's name gets an error saying so (installing keeps the component, not the sources).
 */
export function requireProjectArg(arg: string, command: string): void {
  if (existsSync(arg) || looksLikePath(arg)) return; // the build reports what is wrong with a path
  if (readLock(pluginsDir()).plugins[arg]) {
    throw new PluginError('not-found', `no plugin project directory ${arg} here; ${arg} is an installed plugin's name, and ${command} needs the project's sources (installing keeps only the component)`);
  }
}
