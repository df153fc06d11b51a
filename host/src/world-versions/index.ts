/**
 * Version dispatch: every released `pocket:plugin` version this host runs, each with its
 * adapter. A plugin is linked with the host interfaces of the version it was built against
 * (read from its exports), so plugins built for older compatible versions keep working.
 */
import { PluginError } from '../errors.js';
import type { CallContext } from '../host-api.js';
import { SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE } from '../wit-world.js';
import type { WorldAdapter } from './adapter.js';
import { v0_1_0 } from './v0_1_0.js';
import { v0_2_0 } from './v0_2_0.js';

export type { WorldAdapter } from './adapter.js';

const ADAPTERS = new Map<string, WorldAdapter>([v0_1_0, v0_2_0].map((a) => [a.version, a]));

/** The adapter of one world version; `incompatible` when this host has none. */
export function worldAdapter(version: string): WorldAdapter {
  const adapter = ADAPTERS.get(version);
  if (!adapter || !SUPPORTED_WORLD_VERSIONS.includes(version)) {
    throw new PluginError('incompatible', `this host does not run ${WIT_PACKAGE}@${version} (it runs ${SUPPORTED_WORLD_VERSIONS.join(', ')})`);
  }
  return adapter;
}

/** The import object jco's glue takes, keyed by unversioned interface name. */
export function hostImportsFor(version: string, current: () => CallContext | undefined): Record<string, unknown> {
  const imports: Record<string, unknown> = { [`${WIT_PACKAGE}/types`]: {} };
  for (const [iface, impl] of Object.entries(worldAdapter(version).hostImports(current))) imports[`${WIT_PACKAGE}/${iface}`] = impl;
  return imports;
}

/** Versions with an adapter (for tests: every version in `wit/` must have one). */
export function adapterVersions(): string[] {
  return [...ADAPTERS.keys()];
}
