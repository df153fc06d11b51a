/**
 * Plugins as npm packages: the `npm:<package>[@range]` spec, and the `package.json` that
 * `pocket-wit publish` writes into the archive `pocket-wit pack` makes (so an npm package of a
 * plugin is a pack archive plus a package.json, and `install npm:` installs it the same way).
 */
import semver from 'semver';
import { describeComponent, PluginError, splitNpmSpec, type Manifest } from '../../host/src/index.js';
import { PACKED_COMPONENT } from '../plugin-package.js';

/** The keyword every plugin package carries; `pocket-wit search` looks for it. */
export const PLUGIN_KEYWORD = 'pocket-plugin';

/** What `package.json`'s `pocket` field says about the plugin inside. */
export interface PocketPackageInfo {
  /** The plugin's name (its manifest's). */
  plugin: string;
  /** The WIT world its component targets, e.g. `pocket:plugin@0.2.1`. */
  world: string;
  /** The component, relative to the package. */
  component: string;
  nodes: string[];
}

export interface NpmSpec {
  /** The package name (may be scoped). */
  name: string;
  /** The range, exact version or dist-tag asked for; none means the latest. */
  range?: string;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export function isNpmSpec(text: string): boolean {
  return text.startsWith('npm:');
}

/** `npm:@acme/word-stats@^1.2.0` → `{ name: '@acme/word-stats', range: '^1.2.0' }`. */
export function parseNpmSpec(text: string): NpmSpec {
  const { name, range } = splitNpmSpec(text);
  if (!NAME.test(name)) {
    throw new PluginError('invalid-input', `"${text}" does not name an npm package: write npm:<package>[@range], for example npm:word-stats@^1.0.0 or npm:@acme/word-stats`);
  }
  if (range !== undefined && semver.validRange(range) === null && !/^[a-z][a-z0-9._-]*$/i.test(range)) {
    throw new PluginError('invalid-input', `"${range}" in ${text} is neither a version range nor a dist-tag: write for example ^1.2.0, 1.2.3 or latest`);
  }
  return { name, ...(range ? { range } : {}) };
}

/**
 * The range to record for later updates: what was asked for when it is a range, else (no range,
 * or a dist-tag) `^<installed version>`, as `npm install` saves it.
 */
export function recordedRange(spec: NpmSpec, version: string): string {
  if (spec.range && semver.validRange(spec.range) !== null) return spec.range;
  return `^${version}`;
}

/** The npm package name of a plugin: its manifest name, under `scope` when given (`@acme`). */
export function packageNameFor(manifest: Manifest, scope?: string): string {
  if (!scope) return manifest.name;
  const s = scope.startsWith('@') ? scope : `@${scope}`;
  const name = `${s}/${manifest.name}`;
  if (!NAME.test(name)) throw new PluginError('invalid-input', `"${scope}" is not an npm scope: write for example --scope @acme`);
  return name;
}

/** The `package.json` of a plugin's npm package. */
export async function pluginPackageJson(manifest: Manifest, component: string, entries: string[], scope?: string): Promise<Record<string, unknown>> {
  const d = await describeComponent(component);
  const pocket: PocketPackageInfo = { plugin: manifest.name, world: d.world, component: PACKED_COMPONENT, nodes: d.nodes.map((n) => n.type) };
  return {
    name: packageNameFor(manifest, scope),
    version: manifest.version,
    description: manifest.description ?? d.description,
    keywords: [PLUGIN_KEYWORD, ...new Set(d.nodes.map((n) => n.category))].filter((k) => k.length > 0),
    ...(manifest.license ? { license: manifest.license } : {}),
    ...(manifest.author ? { author: manifest.author } : {}),
    files: [...entries, 'package.json'],
    pocket,
  };
}
