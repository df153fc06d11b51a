/**
 * What a plugin component says about itself: identity, node definitions, requested permissions,
 * world, size and hash. Read from its `pocket-wit:plugin` section without running any of its
 * code; a component without the section (built by another toolchain) is learned by calling its
 * `metadata()` in a sandboxed worker with nothing granted, once per sha256 (`learned-metadata.ts`).
 * A summary of the permissions for tables, e.g. `net:2 fs:ro env:1 64MB 5s`.
 */
import { statSync } from 'node:fs';
import { readComponent } from '../component.js';
import { PluginError } from '../errors.js';
import { DEFAULT_MEMORY, DEFAULT_TIMEOUT, type PermissionsDecl } from '../manifest.js';
import { learnedMetadata, NOTHING_GRANTED } from '../learned-metadata.js';
import type { PluginMetadata } from '../metadata.js';
import { probePlugin } from './probe.js';

/** A plugin's metadata as its component records it, plus facts about the file. */
export interface PluginDescription extends PluginMetadata {
  /** How it was built (`quickjs`, `rust`, ...); `external` when another toolchain built it. */
  engine: string;
  /**
   * Where the description came from: the `pocket-wit:plugin` section (nothing ran), or the
   * plugin's `metadata()` run in the sandbox with nothing granted (no section).
   */
  describedBy: 'section' | 'metadata';
  sha256: string;
  size: number;
  path: string;
}

/** The engine recorded for a plugin another toolchain built. */
export const EXTERNAL_ENGINE = 'external';

export async function describeComponent(path: string, options: { cacheDir?: string } = {}): Promise<PluginDescription> {
  const component = await readComponent(path);
  const section = component.section;
  if (!section) {
    // Built by another toolchain: its metadata() answers, run in a worker with nothing granted.
    const m = learnedMetadata(component.sha256, options.cacheDir) ?? (await probePlugin({ file: path, runExamples: false, permissions: NOTHING_GRANTED, ...options })).metadata;
    const d: PluginDescription = { ...m, engine: EXTERNAL_ENGINE, describedBy: 'metadata', sha256: component.sha256, size: statSync(path).size, path };
    return d;
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
    describedBy: 'section',
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
  if (p.storage) parts.push(`kv:${p.storage.buckets.length}`);
  parts.push((p.memory ?? DEFAULT_MEMORY).replace(/\s+/g, ''), (p.timeout ?? DEFAULT_TIMEOUT).replace(/\s+/g, ''));
  return parts.join(' ');
}
