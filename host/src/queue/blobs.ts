/**
 * Content-addressed bytes on the queue (plugin components, workflow files) and a worker's local
 * copies of them. Nothing is used unless its bytes hash to the sha256 the producer named.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { PluginError } from '../errors.js';
import { pocketHome, pluginsDir } from '../installed/home.js';
import { keys } from './protocol.js';
import { sha256 } from './workflow-files.js';

/** How long published bytes stay on the queue without being published again. */
const BLOB_TTL_SECONDS = 7 * 24 * 3600;

/** Where a worker keeps what it fetched: `$POCKET_HOME/queue-cache`. */
export function queueCacheDir(): string {
  return join(pocketHome(), 'queue-cache');
}

/** Publish bytes under their sha256 (a no-op when they are there; their lifetime is renewed). */
export async function publishBlob(redis: Redis, queue: string, bytes: Uint8Array, hash = sha256(bytes)): Promise<string> {
  const key = keys(queue).blob(hash);
  await redis.set(key, Buffer.from(bytes), 'EX', BLOB_TTL_SECONDS, 'NX');
  await redis.expire(key, BLOB_TTL_SECONDS);
  return hash;
}

/** Write a file whole or not at all (a killed worker leaves no half file under the final name). */
function writeAtomically(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * The bytes named `hash`, as a local file at `path`: kept when it is there and hashes right,
 * else fetched from the queue and checked. Bytes that hash otherwise are refused
 * (`invalid-plugin`), whoever put them there.
 */
export async function fetchBlob(redis: Redis, queue: string, hash: string, path: string, what: string): Promise<string> {
  if (existsSync(path) && sha256(readFileSync(path)) === hash) return path;
  const bytes = await redis.getBuffer(keys(queue).blob(hash));
  if (!bytes) throw new PluginError('invalid-plugin', `${what}: the queue holds no bytes with sha256 ${hash} (the producer's batch has ended or Redis lost its data); this worker runs only what the producer named`);
  const got = sha256(bytes);
  if (got !== hash) throw new PluginError('invalid-plugin', `${what}: the bytes on the queue have sha256 ${got}, not the ${hash} the producer named; refused`);
  writeAtomically(path, bytes);
  return path;
}

/**
 * The worker's own plugin files by sha256: the `.wasm` files in `dirs` (and their immediate
 * subfolders) and the installed plugins. A plugin the producer names by a sha256 found here is
 * run from here, without fetching it.
 */
export function localPluginIndex(dirs: string[]): Map<string, string> {
  const index = new Map<string, string>();
  const add = (file: string): void => {
    try {
      const hash = sha256(readFileSync(file));
      if (!index.has(hash)) index.set(hash, file);
    } catch {
      // unreadable: not offered
    }
  };
  for (const dir of [...dirs, pluginsDir()]) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (entry.endsWith('.wasm')) add(full);
      else if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) {
        for (const sub of readdirSync(full)) if (sub.endsWith('.wasm')) add(join(full, sub));
        const dist = join(full, 'dist');
        if (existsSync(dist)) for (const sub of readdirSync(dist)) if (sub.endsWith('.wasm')) add(join(dist, sub));
      }
    }
  }
  return index;
}

/** The path of a cached blob. */
export function cachedPath(hash: string, ext: string): string {
  return join(queueCacheDir(), `${hash}${ext}`);
}
