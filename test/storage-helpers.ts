/** What the storage tests share: a pocket home of their own, and a value read straight from its SQLite file. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { tempDir } from './helpers.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

/** A fresh pocket home: its own storage database (`db`, created at the first storage call), no installed plugins. */
export function storageHome(prefix = 'pocket-wit-storage-home-'): { env: Record<string, string>; db: string } {
  const dir = tempDir(prefix);
  return { env: { POCKET_HOME: dir, POCKET_PLUGIN_PATH: '' }, db: join(dir, 'storage', 'kv.sqlite') };
}

/** The stored text of `key` in `bucket` of `ns`, read straight from the SQLite file (read-only). */
export function storedText(db: string, ns: string, bucket: string, key: string): string | undefined {
  const conn = new Sqlite(db, { readonly: true });
  try {
    const row = conn.prepare('SELECT value FROM kv WHERE ns = ? AND bucket = ? AND key = ?').get(ns, bucket, key) as { value: Buffer } | undefined;
    return row?.value.toString('utf8');
  } finally {
    conn.close();
  }
}

export { Sqlite };
