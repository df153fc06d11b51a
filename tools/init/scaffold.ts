/**
 * `pocket-wit init`: copy a language template (`tools/init/templates/<lang>/`) into a new folder,
 * filling in the plugin's name, its node type (the plugin's name, so that two scaffolds never
 * offer the same node type) and the toolchain's paths. Each template builds and runs as it is,
 * declares examples in its manifest that `pocket-wit test` runs as its test, and works in an
 * editor with no further setup: TypeScript gets a tsconfig.json that resolves `pocket-wit/guest`,
 * Rust a `.cargo/config.toml` and `rust-toolchain.toml` for offline `cargo check` with Debian's
 * toolchain, Go a `go.work` that finds the Go SDK.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PluginError } from '../../host/src/errors.js';
import { toolchainRoot } from '../../host/src/wit-world.js';
import { DEBIAN_CRATE_REGISTRY } from '../build/languages/rust.js';
import { PLUGIN_COMPILER_OPTIONS, toolchainPaths } from '../build/typecheck.js';
import type { JsEngine } from '../build/bundle-ts.js';
import { DEFAULT_JS_ENGINE } from '../build/componentize-js.js';

export const INIT_LANGUAGES = ['ts', 'rust', 'go', 'c'] as const;
export type InitLanguage = (typeof INIT_LANGUAGES)[number];

export interface InitResult {
  dir: string;
  name: string;
  lang: InitLanguage;
  /** The node type the scaffold defines (the plugin's name). */
  node: string;
  /** The JS engine written to the manifest (TypeScript only). */
  engine?: JsEngine;
  files: string[];
}

/**
 * How a scaffold names a path of the toolchain (the SDKs): relative to the project when the two
 * share a folder below `/` (the project and pocket-wit can move together, e.g. a checkout with
 * its plugins), absolute otherwise (a project in /tmp and pocket-wit in /usr/lib have nothing in
 * common but `/`, and `../../usr/lib/...` breaks as soon as the project moves).
 */
export function toolchainPathFrom(projectDir: string, path: string): string {
  const a = resolve(projectDir).split(sep).filter(Boolean);
  const b = resolve(path).split(sep).filter(Boolean);
  if (a[0] === undefined || a[0] !== b[0]) return resolve(path);
  return relative(projectDir, path) || '.';
}

/**
 * Whether `pocket-wit/guest` resolves from `dir` with Node's rules: a `node_modules/pocket-wit`
 * in `dir` or above, or `dir` inside pocket-wit itself (a package may import itself by name).
 */
export function resolvesPocketWit(dir: string): boolean {
  const root = resolve(toolchainRoot());
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', 'pocket-wit', 'package.json'))) return true;
    if (d === root) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * The tsconfig.json of a TypeScript scaffold: the settings `pocket-wit build` type-checks with,
 * plus `paths` to the toolchain's SDK types when `pocket-wit/guest` would not resolve from the
 * project (pocket-wit installed globally, or a checkout elsewhere).
 */
export function pluginTsconfig(dir: string): string {
  const paths = resolvesPocketWit(dir)
    ? undefined
    : Object.fromEntries(Object.entries(toolchainPaths()).map(([k, v]) => [k, v.map((p) => toolchainPathFrom(dir, p)).map((p) => (p.startsWith('/') || p.startsWith('.') ? p : `./${p}`))]));
  const config = {
    compilerOptions: { ...PLUGIN_COMPILER_OPTIONS, ...(paths ? { paths } : {}) },
    include: ['src'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A word for a POSIX shell: as it is when it needs no quoting, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A plugin name from a folder name: lowercase, with only the characters manifests allow. */
export function pluginNameFrom(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  return name || 'my-plugin';
}

function templateDir(lang: InitLanguage): string {
  return join(toolchainRoot(), 'tools', 'init', 'templates', lang);
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

/** Scaffold a plugin project of `lang` into `dir` (which must not exist or be empty). */
export function scaffoldPlugin(dir: string, lang: InitLanguage, options: { name?: string; engine?: JsEngine } = {}): InitResult {
  const target = resolve(dir);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new PluginError('invalid-input', `${dir} already exists and is not an empty folder; pick a new folder (nothing was written)`);
  }
  const name = options.name ?? pluginNameFrom(dir);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    const suggestion = pluginNameFrom(name);
    throw new PluginError(
      'invalid-input',
      `"${name}" is not a plugin name (the manifest's rule: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit); use e.g. --name ${shellQuote(suggestion)} (nothing was written)`,
    );
  }
  const source = templateDir(lang);
  const engine = lang === 'ts' ? (options.engine ?? DEFAULT_JS_ENGINE) : undefined;
  const vars: Record<string, string> = {
    name,
    node: name,
    crate: name.replace(/[.-]/g, '_'),
    sdk: toolchainPathFrom(target, join(toolchainRoot(), 'guest-sdk')),
    registry: DEBIAN_CRATE_REGISTRY,
    engine: engine ?? DEFAULT_JS_ENGINE,
  };
  mkdirSync(target, { recursive: true });
  const files = listFiles(source).sort();
  if (lang === 'ts') {
    writeFileSync(join(target, 'tsconfig.json'), pluginTsconfig(target));
    files.push('tsconfig.json');
    files.sort();
  }
  for (const file of files) {
    if (lang === 'ts' && file === 'tsconfig.json') continue;
    const from = join(source, file);
    const to = join(target, file.replace(/\.tmpl$/, ''));
    mkdirSync(join(to, '..'), { recursive: true });
    const text = readFileSync(from, 'utf8');
    if (text.includes('{{')) writeFileSync(to, text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => vars[key] ?? m));
    else cpSync(from, to);
  }
  return { dir: target, name, lang, node: name, ...(engine ? { engine } : {}), files: files.map((f) => f.replace(/\.tmpl$/, '')) };
}
