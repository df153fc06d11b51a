/**
 * A plugin project on disk: a directory with `manifest.yaml` (or `.json`) and sources.
 * Detects the language and where the built component goes.
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { PluginError, findManifestFile, readManifest, type Manifest } from '../../host/src/index.js';

export type ProjectLanguage = 'typescript' | 'javascript' | 'rust' | 'go' | 'c';

export interface PluginProject {
  dir: string;
  manifestPath: string;
  manifest: Manifest;
  language: ProjectLanguage;
  /**
   * The file that made the language known: `src/index.ts` / `src/index.js` (the bundle entry),
   * `Cargo.toml`, `go.mod`, or `Makefile` / the first `src/*.c` for C.
   */
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
  const found = detectLanguage(dir);
  if (!found) {
    throw new PluginError(
      'not-found',
      `${dirArg} has no sources pocket-wit recognizes: src/index.ts (TypeScript), Cargo.toml (Rust), go.mod (Go), or a Makefile or src/*.c (C); \`pocket-wit init <dir> --lang ts|rust|go|c\` scaffolds one`,
    );
  }
  const defaultOutput = manifest.binary ? resolve(dirname(manifestPath), manifest.binary) : join(dir, 'dist', `${manifest.name}.wasm`);
  return { dir, manifestPath, manifest, language: found[1], entry: join(dir, found[0]), defaultOutput };
}

/** The language of a project folder, from the files that mark it; TypeScript wins over the rest. */
function detectLanguage(dir: string): [string, ProjectLanguage] | undefined {
  const markers: [string, ProjectLanguage][] = [
    ['src/index.ts', 'typescript'],
    ['src/index.js', 'javascript'],
    ['Cargo.toml', 'rust'],
    ['go.mod', 'go'],
    ['Makefile', 'c'],
  ];
  const found = markers.find(([file]) => existsSync(join(dir, file)));
  if (found) return found;
  const src = join(dir, 'src');
  const c = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.c')).sort()[0] : undefined;
  return c ? [`src/${c}`, 'c'] : undefined;
}

/** Folders never counted as sources. */
const NOT_SOURCES = new Set(['node_modules', 'dist', 'target', 'build', 'out']);

/** The newest modification time among the project's manifest and sources. */
export function newestSourceTime(project: PluginProject): number {
  let newest = statSync(project.manifestPath).mtimeMs;
  const output = resolve(project.defaultOutput);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (NOT_SOURCES.has(entry.name) || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path !== output && !entry.name.endsWith('.wasm')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(project.dir);
  return newest;
}

/**
 * Whether the project's component (its default output) exists and is strictly newer than its
 * manifest and every source: a source saved in the same clock tick as the last build counts as
 * newer. The one staleness rule of `run <dir>`, `validate`, `test` and `flow --plugins`.
 */
export function isUpToDate(project: PluginProject): boolean {
  const out = project.defaultOutput;
  return existsSync(out) && statSync(out).mtimeMs > newestSourceTime(project);
}
