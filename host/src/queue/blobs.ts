/**
 * Content-addressed bytes on the queue (plugin components, workflow files) and a worker's local
 * copies of them. Nothing is used unless its bytes hash to the sha256 the producer named.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { sha256Of } from '../component.js';
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
  if (existsSync(path) && (await sha256Of(readFileSync(path))) === hash) return path;
  const bytes = await redis.getBuffer(keys(queue).blob(hash));
  if (!bytes) throw new PluginError('invalid-plugin', `${what}: the queue holds no bytes with sha256 ${hash} (the producer's batch has ended or Redis lost its data); this worker runs only what the producer named`);
  const got = await sha256Of(bytes);
  if (got !== hash) throw new PluginError('invalid-plugin', `${what}: the bytes on the queue have sha256 ${got}, not the ${hash} the producer named; refused`);
  writeAtomically(path, bytes);
  return path;
}

/**
 * The worker's own plugin files by sha256: the `.wasm` files in `dirs` (and their immediate
 * subfolders) and the installed plugins. A plugin the producer names by a sha256 found here is
 * run from here, without fetching it.
 */
export async function localPluginIndex(dirs: string[]): Promise<Map<string, string>> {
  const files: string[] = [];
  const wasm = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.wasm')).map((f) => join(dir, f));
  for (const dir of [...dirs, pluginsDir()]) {
    if (!existsSync(dir)) continue;
    files.push(...wasm(dir));
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (!statSync(full, { throwIfNoEntry: false })?.isDirectory()) continue;
      files.push(...wasm(full));
      if (existsSync(join(full, 'dist'))) files.push(...wasm(join(full, 'dist')));
    }
  }
  const index = new Map<string, string>();
  for (const file of files) {
    let hash: string;
    try {
      hash = await sha256Of(readFileSync(file));
    } catch {
      continue; // unreadable: not offered
    }
    if (!index.has(hash)) index.set(hash, file);
  }
  return index;
}

/** The path of a cached blob. */
export function cachedPath(hash: string, ext: string): string {
  return join(queueCacheDir(), `${hash}${ext}`);
}
