/**
 * The `pocket:plugin` WIT world as the host knows it: its package name, the versions this
 * host supports, the interface names, and the WIT text for toolchains that need it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The WIT package every plugin targets. */
export const WIT_PACKAGE = 'pocket:plugin';
/** The world name inside the package. */
export const WORLD_NAME = 'plugin';
/** The newest world version; `pocket-wit build` targets it. */
export const WORLD_VERSION = '0.2.1';
/**
 * Every world version this host has an adapter for. A plugin may also target another version of
 * the same semver track (see `resolveWorldVersion`).
 */
export const SUPPORTED_WORLD_VERSIONS: readonly string[] = ['0.1.0', '0.2.0', '0.2.1'];
/** The supported versions whose WIT has the world `command` (Go plugins); it appeared in 0.2.1. */
export const COMMAND_WORLD_VERSIONS: readonly string[] = ['0.2.1'];
/** Interfaces a plugin may import from the host (unversioned names). */
export const HOST_INTERFACES: readonly string[] = [`${WIT_PACKAGE}/host`, `${WIT_PACKAGE}/types`];
/** The interface a plugin must export. */
export const NODE_INTERFACE = `${WIT_PACKAGE}/node`;

/** The repository root (two levels above this module, in source and in dist alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'pocket-wit') return dir;
    } catch {
      // not here; keep climbing
    }
    dir = dirname(dir);
  }
  throw new Error('pocket-wit: cannot find the package root (package.json named "pocket-wit")');
}

/** Absolute path of the folder holding one world version's `.wit` files. */
export function witDir(version: string = WORLD_VERSION): string {
  return join(packageRoot(), 'wit', `v${version}`);
}

/** The toolchain's own root folder (where `package.json`, `wit/`, `guest-sdk/` live). */
export function toolchainRoot(): string {
  return packageRoot();
}

/**
 * The WIT of one world version as a single source text: the package's files joined under one
 * `package` line. Tools that cannot read a WIT folder take this text instead.
 */
export function witSource(version: string = WORLD_VERSION): string {
  const dir = witDir(version);
  const files = readdirSync(dir).filter((f) => f.endsWith('.wit')).sort();
  const bodies = files.map((f) => readFileSync(join(dir, f), 'utf8').replace(/^\s*package\s+[^;]+;\s*$/m, `// ${f}`));
  return `package ${WIT_PACKAGE}@${version};\n\n${bodies.join('\n')}`;
}

/**
 * The interfaces of the `wasi:keyvalue` package plugin storage implements (`wit/deps/wasi-keyvalue`:
 * `store` and `atomics`) as one text without its `package` line, for the caller to place in a
 * package of its own (a nested `package wasi:keyvalue@<version> { … }`, or after a `package` line).
 */
export function keyvalueWitBody(): string {
  const dir = join(toolchainRoot(), 'wit', 'deps', 'wasi-keyvalue');
  return ['store.wit', 'atomics.wit'].map((f) => readFileSync(join(dir, f), 'utf8').replace(/^\s*package\s+[^;]+;\s*$/m, '')).join('\n');
}

/** Split `pocket:plugin/node@0.1.0` into its unversioned name and version. */
export function splitVersionedName(name: string): { name: string; version?: string } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { name } : { name: name.slice(0, at), version: name.slice(at + 1) };
}

interface Semver {
  major: number;
  minor: number;
  patch: number;
  pre: string;
}

function parseSemver(version: string): Semver | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? '' } : undefined;
}

/**
 * The semver track a version belongs to, as wasmtime's linker matches imports: `1.4.2` → `1`
 * (same major from 1.0.0 on), `0.2.5` → `0.2` (same minor below 1.0.0). `0.0.z` versions, prereleases
 * and anything that is not a version form no track: they match only themselves.
 */
export function semverTrack(version: string): string | undefined {
  const v = parseSemver(version);
  if (!v || v.pre) return undefined;
  if (v.major > 0) return `${v.major}`;
  if (v.minor > 0) return `0.${v.minor}`;
  return undefined;
}

/** Compare two versions by major, minor, patch (prereleases as text); for sorting. */
export function compareVersions(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch || (x.pre === y.pre ? 0 : !x.pre ? 1 : !y.pre ? -1 : x.pre < y.pre ? -1 : 1);
}

/**
 * Which of `supported` serves a plugin that targets `version`: the version itself when it is
 * supported, else the newest supported version of its semver track (a plugin of `0.2.7` on a host
 * of `0.2.0` and `0.2.1` gets `0.2.1`; one of `0.2.0` on a host of `0.2.1` only gets `0.2.1`).
 * Undefined when no supported version is compatible. The caller still checks that the plugin
 * imports nothing the chosen version lacks (a newer patch may add host functions).
 */
export function resolveWorldVersion(version: string, supported: readonly string[] = SUPPORTED_WORLD_VERSIONS): string | undefined {
  if (supported.includes(version)) return version;
  const track = semverTrack(version);
  if (track === undefined) return undefined;
  return [...supported].filter((v) => semverTrack(v) === track).sort(compareVersions).pop();
}
