/** What the build tools take from the host library (one import point for tools/build). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toolchainRoot } from '../../host/src/wit-world.js';
export { PluginError, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_NAME, WORLD_VERSION, witDir, witSource, writePluginSection } from '../../host/src/index.js';
export { toolchainRoot as toolchainRootPath } from '../../host/src/wit-world.js';

/**
 * The folder of a package the toolchain depends on (typebox), found as Node finds it: under the
 * toolchain's own node_modules in a checkout, in a parent's node_modules when npm hoisted it
 * beside an installed pocket-wit (`<app>/node_modules/typebox`).
 */
export function toolchainPackageDir(name: string, root: string = toolchainRoot()): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(root, 'node_modules', name);
  }
}
