/**
 * Version dispatch: every released `pocket:plugin` version this host runs, each with its
 * adapter. A plugin is linked with the host interfaces of the version it was built against
 * (read from its exports), and its exports are seen through the same adapter as the latest
 * `node` interface, so plugins built for older compatible versions keep working and runners only
 * ever know the latest world. Command plugins (Go) speak the JSON protocol of `command.ts`.
 */
import { PluginError } from '../errors.js';
import type { HostCalls } from '../host-api.js';
import { SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE } from '../wit-world.js';
import type { NodeExports, WorldAdapter } from './adapter.js';
import { v0_1_0 } from './v0_1_0.js';
import { v0_2_0 } from './v0_2_0.js';
import { v0_2_1 } from './v0_2_1.js';

export type { NodeExports, WorldAdapter } from './adapter.js';
export { commandProtocol, type CommandProtocol } from './command.js';

/** The functions of `node` the host calls. */
const NODE_FUNCTIONS = ['metadata', 'prep', 'exec', 'post'] as const satisfies readonly (keyof NodeExports)[];

const ADAPTERS = new Map<string, WorldAdapter>([v0_1_0, v0_2_0, v0_2_1].map((a) => [a.version, a]));

/** The adapter of one world version; `incompatible` when this host has none. */
export function worldAdapter(version: string): WorldAdapter {
  const adapter = ADAPTERS.get(version);
  if (!adapter || !SUPPORTED_WORLD_VERSIONS.includes(version)) {
    throw new PluginError('incompatible', `this host does not run ${WIT_PACKAGE}@${version} (it runs ${SUPPORTED_WORLD_VERSIONS.join(', ')})`);
  }
  return adapter;
}

/** The import object jco's glue takes, keyed by unversioned interface name. */
export function hostImportsFor(version: string, current: () => HostCalls | undefined): Record<string, unknown> {
  const imports: Record<string, unknown> = { [`${WIT_PACKAGE}/types`]: {} };
  for (const [iface, impl] of Object.entries(worldAdapter(version).hostImports(current))) imports[`${WIT_PACKAGE}/${iface}`] = impl;
  return imports;
}

/** An instance's exports as the latest `node` interface; `incompatible` when it has none. */
export function nodeExportsFor(version: string, exports: Record<string, unknown>, plugin: string): NodeExports {
  const node = worldAdapter(version).nodeExports(exports);
  if (!node) throw new PluginError('incompatible', `${plugin} does not export the ${WIT_PACKAGE}/node interface`);
  // A plugin of a newer compatible version may lack a function the host calls.
  const missing = NODE_FUNCTIONS.filter((fn) => typeof (node as unknown as Record<string, unknown>)[fn] !== 'function');
  if (missing.length > 0) {
    throw new PluginError('incompatible', `${plugin} does not export ${missing.map((fn) => `${WIT_PACKAGE}/node#${fn}`).join(', ')}, which this host calls (it runs ${WIT_PACKAGE}@${version})`);
  }
  return node;
}

/**
 * The functions one version's adapter provides for each host interface, by interface name
 * (`host`) and as jco's glue names them (camelCase: `storeGet`). Used at load to refuse a plugin
 * of a newer compatible version that imports a function this host lacks.
 */
export function hostFunctionsOf(version: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [iface, impl] of Object.entries(worldAdapter(version).hostImports(() => undefined))) {
    out.set(iface, new Set(Object.keys(impl as object)));
  }
  return out;
}

/** Versions with an adapter (for tests: every version in `wit/` must have one). */
export function adapterVersions(): string[] {
  return [...ADAPTERS.keys()];
}
