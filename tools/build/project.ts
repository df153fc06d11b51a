/**
 * A plugin project on disk: a directory with `manifest.yaml` (or `.json`) and sources.
 * Detects the language and where the built component goes.
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { PluginError, findManifestFile, readManifest, type Manifest } from '../../host/src/index.js';

export type ProjectLanguage = 'typescript' | 'javascript';

export interface PluginProject {
  dir: string;
  manifestPath: string;
  manifest: Manifest;
  language: ProjectLanguage;
  /** The source entry (`src/index.ts` or `src/index.js`). */
  entry: string;
  /** Where `pocket-wit build` writes the component unless told otherwise. */
  defaultOutput: string;
}

export function isProjectDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && findManifestFile(path) !== undefined;
}

/** Read a plugin project, or fail with what is missing and how to fix it. */
export function readProject(dirArg: string): PluginProject {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new PluginError('not-found', `no plugin project at ${dirArg}`);
  if (!statSync(dir).isDirectory()) throw new PluginError('invalid-plugin', `${dirArg} is a file; give a plugin project directory`);
  const manifestPath = findManifestFile(dir);
  if (!manifestPath) {
    throw new PluginError(
      'invalid-manifest',
      `${dirArg} has no manifest.yaml; create one with name, version and description (see docs/PLUGINS.md and the tutorial in README.md)`,
    );
  }
  const manifest = readManifest(manifestPath);
  const candidates: [string, ProjectLanguage][] = [
    ['src/index.ts', 'typescript'],
    ['src/index.js', 'javascript'],
  ];
  const found = candidates.find(([file]) => existsSync(join(dir, file)));
  if (!found) {
    throw new PluginError('not-found', `${dirArg} has no src/index.ts; a TypeScript plugin's entry is src/index.ts with \`export default definePlugin(...)\``);
  }
  const defaultOutput = manifest.binary ? resolve(dirname(manifestPath), manifest.binary) : join(dir, 'dist', `${manifest.name}.wasm`);
  return { dir, manifestPath, manifest, language: found[1], entry: join(dir, found[0]), defaultOutput };
}

/** The newest modification time among the project's manifest and sources. */
export function newestSourceTime(project: PluginProject): number {
  let newest = statSync(project.manifestPath).mtimeMs;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(project.dir, 'src'));
  return newest;
}
