/**
 * The public entry points of the WIT parser: parse one WIT text, or load a `.wit` file or a WIT
 * folder laid out as wit-parser and wasm-tools expect (the folder's `*.wit` files form the main
 * package; `deps/` holds one dependency per sub-folder or `.wit` file), and resolve it into the
 * structural model of `model.ts`.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError } from '../../host/src/errors.js';
import type { WitResolve } from './model.js';
import { parseWitFile } from './parse.js';
import { resolveUnits, type ResolveOptions, type SourceUnit } from './resolve.js';

export type { ResolveOptions } from './resolve.js';

/**
 * `features`/`allFeatures` enable `@unstable(feature = ...)` items; by default they are left out,
 * as wit-parser (and so jco and `pocket-wit types`) leaves them out.
 */
export interface LoadWitOptions extends ResolveOptions {
  /** More dependency packages (`.wit` files or folders), treated as if they were in `deps/`. */
  deps?: string[];
}

/**
 * Parses and resolves one WIT text. It may hold nested `package ... { }` blocks; the main package
 * is the one of the top-level `package` line or, if there is none, the first package block.
 */
export function parseWitSource(text: string, file = '<wit>', options: ResolveOptions = {}): WitResolve {
  return resolveUnits({ label: file, files: [parseWitFile(text, file)] }, [], options);
}

/**
 * Loads a `.wit` file or a WIT folder (with its `deps/`) and resolves it.
 * Fails with `not-found` when the path does not exist and `invalid-wit` for bad WIT.
 */
export async function loadWitPath(path: string, options: LoadWitOptions = {}): Promise<WitResolve> {
  const main = await loadUnit(path, true);
  const deps = (await isDirectory(path)) ? await loadDepsFolder(join(path, 'deps')) : [];
  for (const extra of options.deps ?? []) deps.push(await loadUnit(extra, false));
  return resolveUnits(main, deps, options);
}

/** One package source: a `.wit` file, or the `*.wit` files directly inside a folder. */
async function loadUnit(path: string, root: boolean): Promise<SourceUnit> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    throw new PluginError('not-found', `${path}: no such WIT file or folder; check the path`);
  }
  if (!info.isDirectory()) return { label: path, files: [await parseFile(path)] };
  const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.wit')).map((e) => e.name).sort();
  if (names.length === 0) {
    const what = root ? 'a WIT package folder' : 'a dependency folder';
    throw new PluginError('invalid-wit', `${path}: no .wit files in this folder; ${what} needs at least one \`*.wit\` file`);
  }
  const files = [];
  for (const name of names) files.push(await parseFile(join(path, name)));
  return { label: path, files };
}

/** Each folder or `.wit` file in `deps/` is one dependency; other files are ignored. */
async function loadDepsFolder(path: string): Promise<SourceUnit[]> {
  if (!(await isDirectory(path))) return [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const units: SourceUnit[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory() || (entry.isFile() && entry.name.endsWith('.wit'))) units.push(await loadUnit(full, false));
  }
  return units;
}

async function parseFile(path: string): Promise<ReturnType<typeof parseWitFile>> {
  return parseWitFile(await readFile(path, 'utf8'), path);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
