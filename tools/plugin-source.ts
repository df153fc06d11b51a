/**
 * Turns a command's `<plugin>` argument into a component file: a `.wasm` path is used as it is;
 * a plugin project directory is built first when its component is missing or older than its
 * sources.
 */
import { existsSync, statSync } from 'node:fs';
import { PluginError } from '../host/src/index.js';
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
