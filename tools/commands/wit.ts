/**
 * `pocket-wit wit [--wit-version X] [--out DIR] [--dep] [--wasm] [--force] [--json]`: the
 * `pocket:plugin` WIT package of a released world version, for other toolchains
 * (componentize-js, jco, wit-bindgen, cargo-component, componentize-py, wit-bindgen-go).
 *
 * - no `--out`: the package as one WIT text on stdout (its files joined under one `package` line);
 * - `--out DIR`: the package's files as `DIR/*.wit` (the package at the root of DIR);
 * - `--out DIR --dep`: under `DIR/deps/pocket-plugin/`, for a project whose own world uses
 *   `pocket:plugin` (the wit-deps / cargo-component layout). Dependencies of our package, if it
 *   ever has any, go to `<package folder>/deps/<name>/` (root layout) or `DIR/deps/<name>/` (flat,
 *   as wit-deps lays them out);
 * - `--wasm`: the binary WIT package (`wasm-tools component wit --wasm`), to `--out FILE.wasm`, to
 *   `--out DIR` as `DIR/pocket-plugin-<version>.wasm`, or to stdout when stdout is not a terminal.
 *
 * Existing files that differ are never overwritten without `--force`. The version flag is
 * `--wit-version`, as in `build`; `wit --version X` is rewritten to it (tools/cli.ts
 * `witVersionAlias`), and `--version` alone is the toolchain's own.
 */
import type { CAC } from 'cac';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { PluginError } from '../../host/src/errors.js';
import { SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_VERSION, witDir, witSource } from '../../host/src/wit-world.js';
import { UsageError } from '../cli-support.js';
import { checkWitPackage, encodeWitPackage } from '../wit/package-wasm.js';

interface WitOptions {
  witVersion?: string | number;
  out?: string;
  dep?: boolean;
  wasm?: boolean;
  force?: boolean;
  json?: boolean;
}

/** The folder a project's dependency on `pocket:plugin` goes in (`deps/<namespace>-<name>`). */
const DEP_FOLDER = WIT_PACKAGE.replace(':', '-');

type FileStatus = 'written' | 'unchanged' | 'removed';

interface FileReport {
  path: string;
  bytes: number;
  status: FileStatus;
}

/** One file of the package: its path relative to the package folder, and its content. */
interface PackageFile {
  path: string;
  content: Uint8Array;
}

/** The released version asked for (`v0.2.0` is taken as `0.2.0`), or a not-found error naming those that exist. */
function releasedVersion(asked: string | number | undefined): string {
  if (asked === undefined) return WORLD_VERSION;
  if (typeof asked !== 'string' && typeof asked !== 'number') throw new UsageError('--wit-version takes one version, for example --wit-version 0.2.0');
  const version = String(asked).replace(/^v/, '');
  const released = SUPPORTED_WORLD_VERSIONS.filter((v) => existsSync(witDir(v)));
  if (!released.includes(version)) {
    throw new PluginError('not-found', `${WIT_PACKAGE}@${version} is not a released version; the released versions are ${released.join(', ')} (give one with --wit-version, or leave it out for the newest, ${WORLD_VERSION})`, {
      details: { version, released },
    });
  }
  return version;
}

/** `.wit` files of a folder, sorted. */
const witFilesIn = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.wit')).map((e) => e.name).sort();

/** The package's dependencies (`deps/<name>/` folders or `deps/<name>.wit` files), if it has any. */
function dependencies(version: string): { name: string; files: PackageFile[] }[] {
  const deps = join(witDir(version), 'deps');
  if (!existsSync(deps)) return [];
  return readdirSync(deps, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      if (e.isDirectory()) return [{ name: e.name, files: witFilesIn(join(deps, e.name)).map((f) => ({ path: f, content: readFileSync(join(deps, e.name, f)) })) }];
      if (e.isFile() && e.name.endsWith('.wit')) return [{ name: e.name.slice(0, -4), files: [{ path: 'package.wit', content: readFileSync(join(deps, e.name)) }] }];
      return [];
    });
}

/** The package (and its dependencies, nested) as one WIT text. */
function packageText(version: string): string {
  const nested = dependencies(version).map(({ files }) => {
    const text = files.map((f) => Buffer.from(f.content).toString('utf8')).join('\n');
    const m = /^\s*package\s+([^;{\s]+)\s*;/m.exec(text);
    if (!m) throw new PluginError('invalid-wit', `a dependency of ${WIT_PACKAGE}@${version} has no package line`);
    const body = text.replace(new RegExp(`^\\s*package\\s+${m[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*;\\s*$`, 'gm'), '');
    return `package ${m[1]} {\n${body}\n}\n`;
  });
  return [witSource(version), ...nested].join('\n');
}

/**
 * The files to write, relative to `--out`: the package's own `.wit` files at `base`, and its
 * dependencies under `base/deps/` (root layout) or `deps/` (`--dep`: flat, as wit-deps does).
 */
function layoutFiles(version: string, dep: boolean): { base: string; files: PackageFile[] } {
  const base = dep ? join('deps', DEP_FOLDER) : '.';
  const dir = witDir(version);
  const files: PackageFile[] = witFilesIn(dir).map((f) => ({ path: join(base, f), content: readFileSync(join(dir, f)) }));
  const depsRoot = dep ? 'deps' : join(base, 'deps');
  for (const d of dependencies(version)) for (const f of d.files) files.push({ path: join(depsRoot, d.name, f.path), content: f.content });
  return { base, files };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Write `files` under `root`. A file that exists with other content, or another `.wit` file in
 * a folder of the package (it would join the package), stops everything unless `force`; with
 * `force` the first is overwritten and the second removed.
 */
async function writeFiles(root: string, files: PackageFile[], packageDirs: string[], force: boolean, what: string): Promise<FileReport[]> {
  const conflicts: string[] = [];
  const reports: FileReport[] = [];
  const pending: PackageFile[] = [];
  for (const f of files) {
    const path = join(root, f.path);
    if (existsSync(path)) {
      if (!statSync(path).isFile()) throw new PluginError('invalid-input', `${path} exists and is not a file; choose another --out`);
      if (sameBytes(readFileSync(path), f.content)) {
        reports.push({ path, bytes: f.content.length, status: 'unchanged' });
        continue;
      }
      conflicts.push(`${path} (differs)`);
    }
    pending.push(f);
  }
  const extra: string[] = [];
  for (const dir of packageDirs) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    if (!statSync(abs).isDirectory()) throw new PluginError('invalid-input', `${abs} exists and is not a folder; choose another --out`);
    const ours = new Set(files.map((f) => join(root, f.path)));
    for (const name of witFilesIn(abs)) if (!ours.has(join(abs, name))) extra.push(join(abs, name));
  }
  conflicts.push(...extra.map((p) => `${p} (another .wit file: it would join the package)`));
  if (conflicts.length > 0 && !force) {
    const n = conflicts.length === 1 ? '1 existing file would change' : `${conflicts.length} existing files would change`;
    throw new PluginError('invalid-input', `not writing ${what}: ${n}:\n${conflicts.map((c) => `  ${c}`).join('\n')}\n  give --force to replace ${conflicts.length === 1 ? 'it' : 'them'}, or choose another --out`, {
      details: { conflicts },
    });
  }
  for (const f of pending) {
    const path = join(root, f.path);
    await mkdir(join(path, '..'), { recursive: true });
    // Written beside and renamed into place: another run writing the same package at once (two
    // build scripts in one folder) sees no file or the whole file, never a half-written one.
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, f.content);
    await rename(temp, path);
    reports.push({ path, bytes: f.content.length, status: 'written' });
  }
  for (const path of extra) {
    const bytes = statSync(path).size;
    await rm(path);
    reports.push({ path, bytes, status: 'removed' });
  }
  return reports.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function summary(reports: FileReport[], cwd: string): string {
  return reports.map((r) => `  ${relative(cwd, r.path) || r.path}  ${r.bytes} bytes${r.status === 'written' ? '' : ` (${r.status})`}\n`).join('');
}

export function registerWit(cli: CAC): void {
  cli
    .command('wit', `Write the ${WIT_PACKAGE} WIT package for other toolchains: WIT text on stdout, a WIT folder (--out), or a binary WIT package (--wasm)`)
    .option('--wit-version <version>', `The world version, also --version <version> (default: the newest, ${WORLD_VERSION}; released: ${SUPPORTED_WORLD_VERSIONS.join(', ')})`)
    .option('-o, --out <path>', 'Folder to write the .wit files to (the package at its root); with --wasm a .wasm file, or a folder for pocket-plugin-<version>.wasm')
    .option('--dep', `With --out: write under <out>/deps/${DEP_FOLDER}/, for a project whose own world includes ${WIT_PACKAGE}`)
    .option('--wasm', 'Write the binary WIT package (as `wasm-tools component wit --wasm` makes it); to stdout only when it is not a terminal')
    .option('--force', 'Overwrite files that differ, and remove other .wit files from the package folder')
    .option('--json', 'Print a JSON summary (files, version, bytes) instead of text')
    .example('pocket-wit wit > pocket-plugin.wit')
    .example('pocket-wit wit --out wit                # componentize-js --wit wit --world-name plugin')
    .example('pocket-wit wit --out wit --dep          # wit/deps/pocket-plugin/, next to your own world')
    .example('pocket-wit wit --wasm --out pocket-plugin.wasm --wit-version 0.2.0')
    .action(async (opts: WitOptions) => {
      const version = releasedVersion(opts.witVersion);
      const pkg = `${WIT_PACKAGE}@${version}`;
      const out = opts.out;
      if (out !== undefined && (typeof out !== 'string' || out === '')) throw new UsageError('--out takes one path, for example --out wit');
      if (opts.dep && out === undefined) throw new UsageError(`--dep writes into a project's WIT folder: give it with --out, for example --out wit --dep (→ wit/deps/${DEP_FOLDER}/)`);
      const cwd = process.cwd();

      if (opts.wasm) {
        if (opts.dep) throw new UsageError(`--dep lays out WIT text; a binary WIT package is one file: give --wasm --out <file.wasm>, or --dep without --wasm`);
        if (out === undefined && opts.json) throw new UsageError('--wasm --json needs --out <file.wasm>: the binary and the JSON summary cannot share stdout');
        if (out === undefined && process.stdout.isTTY) {
          throw new UsageError(`--wasm writes a binary: give --out <file.wasm> (or a folder), or redirect stdout, for example pocket-wit wit --wasm > ${DEP_FOLDER}-${version}.wasm`);
        }
        const encoded = await encodeWitPackage(packageText(version));
        // Every binary is decoded again with wit-component and re-encoded before it is written.
        await checkWitPackage(encoded);
        if (out === undefined) {
          process.stdout.write(encoded.bytes);
          return;
        }
        const target = resolve(out);
        const isFolder = !/\.wasm$/i.test(out) || (existsSync(target) && statSync(target).isDirectory());
        const file = isFolder ? join(target, `${DEP_FOLDER}-${version}.wasm`) : target;
        const reports = await writeFiles(join(file, '..'), [{ path: relative(join(file, '..'), file), content: encoded.bytes }], [], Boolean(opts.force), pkg);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ package: pkg, version, format: 'wasm', layout: 'file', out: file, worlds: encoded.worlds, interfaces: encoded.interfaces, files: reports })}\n`);
        } else {
          process.stdout.write(`${reports[0]!.status === 'unchanged' ? 'unchanged' : 'wrote'} ${pkg} as a binary WIT package (worlds ${encoded.worlds.join(', ')}; interfaces ${encoded.interfaces.join(', ')})\n${summary(reports, cwd)}`);
        }
        return;
      }

      if (out === undefined) {
        const text = packageText(version);
        if (opts.json) process.stdout.write(`${JSON.stringify({ package: pkg, version, format: 'wit', layout: 'stdout', bytes: Buffer.byteLength(text), text })}\n`);
        else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        return;
      }

      const root = resolve(out);
      if (existsSync(root) && !statSync(root).isDirectory()) throw new PluginError('invalid-input', `--out ${out} is a file; give a folder (the package's .wit files go in it)`);
      const { base, files } = layoutFiles(version, Boolean(opts.dep));
      const reports = await writeFiles(root, files, [base], Boolean(opts.force), pkg);
      const folder = join(root, base);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ package: pkg, version, format: 'wit', layout: opts.dep ? 'dep' : 'root', out: folder, files: reports })}\n`);
        return;
      }
      const changed = reports.some((r) => r.status !== 'unchanged');
      const shown = relative(cwd, folder) || '.';
      const use = opts.dep
        ? `  your own world in ${relative(cwd, root) || '.'}/*.wit can now \`include ${WIT_PACKAGE}/plugin@${version};\` or \`import ${WIT_PACKAGE}/host@${version};\``
        : `  for example: componentize-js --wit ${shown} --world-name plugin; wit-bindgen c ${shown} --world plugin`;
      process.stdout.write(`${changed ? 'wrote' : 'unchanged:'} ${pkg} in ${shown}/\n${summary(reports, cwd)}${use}\n`);
    });
}
