/**
 * npm's configuration, read the way npm reads it, so that `publish`, `install npm:`, `search`,
 * `outdated` and `update` talk to the registry a user's `npm` would: `.npmrc` files (the user's,
 * then the project's, later wins), then `npm_config_*` environment variables, then the command's
 * `--registry`. `${VAR}` in a value is the environment variable, as in npm. The result is npm's
 * flat options object, which npm-registry-fetch, pacote and libnpmpublish read as they are
 * (`registry`, `@scope:registry`, `//host/path/:_authToken`, ...). Downloads are cached under
 * `$POCKET_HOME/cache/npm`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'ini';
import { pocketHome, PluginError } from '../../host/src/index.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface NpmConfig {
  /** The default registry, with a trailing `/`. */
  registry: string;
  /** npm's flat options, passed to npm's libraries as they are. */
  options: Record<string, unknown>;
  /** The `.npmrc` files read, in order. */
  files: string[];
}

export interface NpmConfigRequest {
  /** The project folder (its `.npmrc` counts, as npm's project config). Default: the current directory. */
  project?: string;
  /** `--registry`: wins over every file and variable. */
  registry?: string;
  env?: NodeJS.ProcessEnv;
}

/** `${NAME}` → the variable's value; an unset one is an error naming it, as npm does. */
function substitute(value: string, env: NodeJS.ProcessEnv, file: string): string {
  return value.replace(/(\\*)\$\{([^}]+)\}/g, (whole, escapes: string, name: string) => {
    if (escapes.length % 2 === 1) return whole.slice(1);
    const v = env[name];
    if (v === undefined) throw new PluginError('invalid-input', `${file} uses \${${name}}, which is not set; set ${name} in the environment or edit ${file}`);
    return `${escapes}${v}`;
  });
}

function readNpmrc(file: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PluginError('invalid-input', `cannot read ${file}: ${(err as Error).message}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    out[substitute(key, env, file)] = typeof value === 'string' ? substitute(value, env, file) : value;
  }
  return out;
}

/** A registry URL as npm keys it: with a trailing slash. */
export function normalizeRegistry(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PluginError('invalid-input', `"${url}" is not a registry URL; write for example --registry http://localhost:4873/`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new PluginError('invalid-input', `"${url}" is not an http(s) registry URL`);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** npm's configuration for a registry command (see the module comment for the order). */
export function npmConfig(req: NpmConfigRequest = {}): NpmConfig {
  const env = req.env ?? process.env;
  const files: string[] = [];
  const options: Record<string, unknown> = {};
  const userFile = env.npm_config_userconfig ?? env.NPM_CONFIG_USERCONFIG ?? join(homedir(), '.npmrc');
  const projectFile = join(resolve(req.project ?? '.'), '.npmrc');
  for (const file of [...new Set([userFile, projectFile])]) {
    if (!existsSync(file)) continue;
    Object.assign(options, readNpmrc(file, env));
    files.push(file);
  }
  for (const [name, value] of Object.entries(env)) {
    const m = /^npm_config_(.+)$/i.exec(name);
    if (!m || value === undefined || /^userconfig$/i.test(m[1]!)) continue;
    options[m[1]!.toLowerCase().replace(/_/g, '-')] = value;
  }
  if (req.registry) options.registry = req.registry;
  const registry = normalizeRegistry(typeof options.registry === 'string' ? options.registry : DEFAULT_REGISTRY);
  options.registry = registry;
  // Always our own cache: npm's `cache` setting names a folder npm itself lays out (`_cacache`
  // inside), and npm sets npm_config_cache for every script and npx it runs.
  options.cache = join(pocketHome(), 'cache', 'npm');
  return { registry, options, files };
}

/** `config` pointed at `registry` (where an installed plugin came from, whatever the default is now). */
export function withRegistry(config: NpmConfig, registry: string): NpmConfig {
  return { ...config, registry, options: { ...config.options, registry } };
}

/** The registry a package is fetched from and published to: its scope's registry, else the default. */
export function registryFor(packageName: string, config: NpmConfig): string {
  const scope = /^(@[^/]+)\//.exec(packageName)?.[1];
  const scoped = scope ? config.options[`${scope}:registry`] : undefined;
  return typeof scoped === 'string' ? normalizeRegistry(scoped) : config.registry;
}
