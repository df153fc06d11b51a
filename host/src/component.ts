/**
 * Stage 1: component bytes. Reads a plugin file (or takes bytes), hashes it, checks that it is
 * a component and reads its embedded plugin section. Nothing is run.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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

/** The largest component the host reads (bytes); larger files are refused before they are read. */
export const MAX_COMPONENT_BYTES = 256 * 1024 * 1024;

/** How much is hashed between two turns of the event loop. */
const HASH_SLICE = 4 * 1024 * 1024;

/** sha256 of `bytes`, a slice per event-loop turn: a large component never blocks the host. */
export async function sha256Of(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    hash.update(bytes.subarray(at, at + HASH_SLICE));
    if (at + HASH_SLICE < bytes.length) await yieldToEventLoop();
  }
  return hash.digest('hex');
}

function tooLarge(name: string, size: number, max: number): PluginError {
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new PluginError('size-limit', `${name} is ${mb(size)}, more than the ${mb(max)} a component may be; a plugin this large is not one pocket-wit builds`);
}

/** Read (or take) component bytes and check their form. */
export async function readComponent(source: string | Uint8Array, options: { maxBytes?: number } = {}): Promise<ComponentFile> {
  const maxBytes = options.maxBytes ?? MAX_COMPONENT_BYTES;
  let bytes: Uint8Array;
  let name: string;
  if (typeof source === 'string') {
    name = source;
    try {
      const size = (await stat(source)).size;
      if (size > maxBytes) throw tooLarge(source, size, maxBytes);
      bytes = await readFile(source); // a Buffer is a Uint8Array: no copy
    } catch (cause) {
      if (cause instanceof PluginError) throw cause;
      const err = cause as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new PluginError('not-found', `no plugin file at ${source}`);
      if (err.code === 'EISDIR') throw new PluginError('invalid-plugin', `${source} is a directory; give a .wasm file or build the project first`);
      throw new PluginError('not-found', `cannot read ${source}: ${err.message}`);
    }
  } else {
    name = '<bytes>';
    bytes = source;
    if (bytes.length > maxBytes) throw tooLarge(name, bytes.length, maxBytes);
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
  const sha256 = await sha256Of(bytes);
  const section = readPluginSection(bytes, name);
  return section ? { bytes, sha256, source: name, section } : { bytes, sha256, source: name };
}
