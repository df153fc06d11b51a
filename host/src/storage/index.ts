/**
 * Persistent plugin storage behind `wasi:keyvalue@0.2.0-draft` (docs/STORAGE.md): the backend
 * interface, the SQLite default under the pocket home, and the check every call passes. The Redis
 * backend (`redis.ts`) is exported by `pocket-wit/queue` with the rest of the Redis code, so that
 * `pocket-wit/host` needs neither ioredis nor its types.
 */
import { join } from 'node:path';
import { pocketHome } from '../installed/home.js';
import { SqliteBackend } from './sqlite.js';
import type { KvBackend } from './backend.js';

export type { KvBackend, KeyPage, NamespaceUsage } from './backend.js';
export { SqliteBackend } from './sqlite.js';
export { answerKv, type KvCall, type KvReply, type KvError, type StorageGrant } from './plugin-storage.js';

/** The default database file: `$POCKET_HOME/storage/kv.sqlite`. */
export function defaultStorageFile(): string {
  return join(pocketHome(), 'storage', 'kv.sqlite');
}

const shared = new Map<string, KvBackend>();

/** The process's backend for the default file (one connection per process, opened at first use). */
export function defaultStorage(): KvBackend {
  const file = defaultStorageFile();
  let b = shared.get(file);
  if (!b) shared.set(file, (b = new SqliteBackend(file)));
  return b;
}
