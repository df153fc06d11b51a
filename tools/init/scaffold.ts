/**
 * `pocket-wit init`: copy a language template (`tools/init/templates/<lang>/`) into a new folder,
 * filling in the plugin's name and the toolchain's path. Each template builds and runs as it is,
 * and declares examples in its manifest that `pocket-wit test` runs as its test.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { PluginError } from '../../host/src/errors.js';
import { toolchainRoot } from '../../host/src/wit-world.js';

export const INIT_LANGUAGES = ['ts', 'rust', 'go', 'c'] as const;
export type InitLanguage = (typeof INIT_LANGUAGES)[number];

export interface InitResult {
  dir: string;
  name: string;
  lang: InitLanguage;
  files: string[];
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
export function scaffoldPlugin(dir: string, lang: InitLanguage, options: { name?: string } = {}): InitResult {
  const target = resolve(dir);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new PluginError('invalid-input', `${dir} already exists and is not an empty folder; pick a new folder (nothing was written)`);
  }
  const name = options.name ?? pluginNameFrom(dir);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new PluginError('invalid-input', `"${name}" is not a plugin name: use lowercase letters, digits, ".", "_" or "-" (give one with --name)`);
  }
  const source = templateDir(lang);
  const vars: Record<string, string> = {
    name,
    crate: name.replace(/[.-]/g, '_'),
    sdk: join(toolchainRoot(), 'guest-sdk'),
  };
  mkdirSync(target, { recursive: true });
  const files = listFiles(source).sort();
  for (const file of files) {
    const from = join(source, file);
    const to = join(target, file.replace(/\.tmpl$/, ''));
    mkdirSync(join(to, '..'), { recursive: true });
    const text = readFileSync(from, 'utf8');
    if (text.includes('{{')) writeFileSync(to, text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => vars[key] ?? m));
    else cpSync(from, to);
  }
  return { dir: target, name, lang, files: files.map((f) => f.replace(/\.tmpl$/, '')) };
}
