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
export const WORLD_VERSION = '0.2.0';
/** Every world version this host can run. */
export const SUPPORTED_WORLD_VERSIONS: readonly string[] = ['0.1.0', '0.2.0'];
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

/** Split `pocket:plugin/node@0.1.0` into its unversioned name and version. */
export function splitVersionedName(name: string): { name: string; version?: string } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { name } : { name: name.slice(0, at), version: name.slice(at + 1) };
}
