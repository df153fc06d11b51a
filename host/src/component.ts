/**
 * Stage 1: component bytes. Reads a plugin file (or takes bytes), hashes it, checks that it is
 * a component and reads its embedded plugin section. Nothing is run.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { binaryKind } from './component-sections.js';
import { PluginError } from './errors.js';
import { readPluginSection, type PluginSection } from './plugin-section.js';

export interface ComponentFile {
  bytes: Uint8Array;
  /** Hex sha256 of the bytes: the component's identity in caches and lock files. */
  sha256: string;
  /** Where it was read from, or `<bytes>`. */
  source: string;
  /** The `pocket-wit:plugin` section, when the component was built by pocket-wit. */
  section?: PluginSection;
}

/** Read (or take) component bytes and check their form. */
export async function readComponent(source: string | Uint8Array): Promise<ComponentFile> {
  let bytes: Uint8Array;
  let name: string;
  if (typeof source === 'string') {
    name = source;
    try {
      bytes = new Uint8Array(await readFile(source));
    } catch (cause) {
      const err = cause as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new PluginError('not-found', `no plugin file at ${source}`);
      if (err.code === 'EISDIR') throw new PluginError('invalid-plugin', `${source} is a directory; give a .wasm file or build the project first`);
      throw new PluginError('not-found', `cannot read ${source}: ${err.message}`);
    }
  } else {
    name = '<bytes>';
    bytes = source;
  }
  const kind = binaryKind(bytes);
  if (kind === 'not-wasm') {
    throw new PluginError('invalid-plugin', `${name} is not a WebAssembly file (no "\\0asm" header); build a plugin with \`pocket-wit build\``);
  }
  if (kind === 'core-module') {
    throw new PluginError(
      'invalid-plugin',
      `${name} is a core WebAssembly module, not a component; wrap it into a pocket:plugin component with \`pocket-wit build\``,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const section = readPluginSection(bytes, name);
  return section ? { bytes, sha256, source: name, section } : { bytes, sha256, source: name };
}
