/**
 * What a plugin component says about itself, read from its `pocket-wit:plugin` section without
 * running any of its code: identity, node definitions, requested permissions, world, size and
 * hash. A summary of the permissions for tables, e.g. `net:2 fs:ro env:1 64MB 5s`.
 */
import { statSync } from 'node:fs';
import { readComponent } from '../component.js';
import { PluginError } from '../errors.js';
import { DEFAULT_MEMORY, DEFAULT_TIMEOUT, type PermissionsDecl } from '../manifest.js';
import type { PluginMetadata } from '../metadata.js';

/** A plugin's metadata as its component records it, plus facts about the file. */
export interface PluginDescription extends PluginMetadata {
  engine: string;
  sha256: string;
  size: number;
  path: string;
}

export async function describeComponent(path: string): Promise<PluginDescription> {
  const component = await readComponent(path);
  const section = component.section;
  if (!section) {
    throw new PluginError('invalid-plugin', `${path} has no pocket-wit:plugin section (it was not built by \`pocket-wit build\`); rebuild it from its project`);
  }
  if (!section.nodes) {
    throw new PluginError('invalid-plugin', `${path} was built by an older pocket-wit without node definitions; rebuild it with \`pocket-wit build\``);
  }
  const m = section.manifest;
  const d: PluginDescription = {
    name: m.name,
    version: m.version,
    description: m.description ?? '',
    nodes: section.nodes,
    permissions: m.permissions ?? {},
    world: section.world,
    engine: section.engine,
    sha256: component.sha256,
    size: statSync(path).size,
    path,
  };
  if (m.author) d.author = m.author;
  if (m.license) d.license = m.license;
  return d;
}

/** `net:2 fs:ro env:1 64MB 5s`: what a plugin may do, in a few characters. */
export function summarizePermissions(p: PermissionsDecl): string {
  const parts: string[] = [];
  if (p.network?.length) parts.push(`net:${p.network.length}`);
  if (p.filesystem?.length) parts.push(`fs:${p.filesystem.some((f) => f.endsWith(':rw')) ? 'rw' : 'ro'}`);
  if (p.env?.length) parts.push(`env:${p.env.length}`);
  parts.push((p.memory ?? DEFAULT_MEMORY).replace(/\s+/g, ''), (p.timeout ?? DEFAULT_TIMEOUT).replace(/\s+/g, ''));
  return parts.join(' ');
}
