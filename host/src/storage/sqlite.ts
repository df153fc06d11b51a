/**
 * Plugin storage in one SQLite file (better-sqlite3), the default backend. WAL journal: readers
 * never wait for the writer, and a process killed mid-write loses at most that uncommitted write
 * (SQLite rolls it back on the next open); `synchronous = NORMAL` keeps every committed write
 * through a process crash (a power cut may lose the last few commits, never the file). Several
 * threads and processes share the file: each process holds one connection, and writers queue on
 * SQLite's lock (`busy_timeout`). Every write runs in an IMMEDIATE transaction with its quota
 * check, so two processes cannot both pass the check and overshoot.
 *
 * The connection is opened at the first operation, so loading a plugin does not create the file.
 * `:memory:` is a private database that lives as long as the backend (what example runs use).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { pairBytes, parseCounter, U64_MAX, type KeyPage, type KvBackend, type NamespaceUsage, type NotCounter, type OverQuota } from './backend.js';

type Database = BetterSqlite3.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  ns TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY (ns, bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (ns TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
`;

/** How long a writer waits for another process's transaction before failing (ms). */
const BUSY_TIMEOUT_MS = 10_000;

interface Statements {
  get: BetterSqlite3.Statement<[string, string, string], { value: Buffer }>;
  put: BetterSqlite3.Statement<[string, string, string, Uint8Array]>;
  delRow: BetterSqlite3.Statement<[string, string, string]>;
  used: BetterSqlite3.Statement<[string], { bytes: number }>;
  addUsed: BetterSqlite3.Statement<[string, number]>;
  keys: BetterSqlite3.Statement<[string, string, number, number], { key: string }>;
  /** The writes, each one IMMEDIATE transaction (made once: a transaction function is not free to create). */
  set: BetterSqlite3.Transaction<(ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number) => OverQuota | undefined>;
  del: BetterSqlite3.Transaction<(ns: string, bucket: string, key: string) => boolean>;
  incr: BetterSqlite3.Transaction<(ns: string, bucket: string, key: string, delta: bigint, quotaBytes: number) => bigint | OverQuota | NotCounter>;
}

export class SqliteBackend implements KvBackend {
  readonly kind = 'sqlite';
  readonly location: string;
  #db: Database | undefined;
  #st: Statements | undefined;

  constructor(file: string) {
    this.location = file;
  }

  #open(): { db: Database; st: Statements } {
    if (this.#db && this.#st) return { db: this.#db, st: this.#st };
    if (this.location !== ':memory:') mkdirSync(dirname(this.location), { recursive: true });
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Sqlite(this.location, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const st: Omit<Statements, 'set' | 'del' | 'incr'> = {
      get: db.prepare('SELECT value FROM kv WHERE ns = ? AND bucket = ? AND key = ?'),
      put: db.prepare('INSERT INTO kv (ns, bucket, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (ns, bucket, key) DO UPDATE SET value = excluded.value'),
      delRow: db.prepare('DELETE FROM kv WHERE ns = ? AND bucket = ? AND key = ?'),
      used: db.prepare('SELECT bytes FROM usage WHERE ns = ?'),
      addUsed: db.prepare('INSERT INTO usage (ns, bytes) VALUES (?, ?) ON CONFLICT (ns) DO UPDATE SET bytes = bytes + excluded.bytes'),
      keys: db.prepare('SELECT key FROM kv WHERE ns = ? AND bucket = ? ORDER BY key LIMIT ? OFFSET ?'),
    };
    // The transactions read the statements through `all`, which they are part of.
    const all: Statements = {
      ...st,
      set: db.transaction((ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number) => this.#put(all, ns, bucket, key, value, quotaBytes)),
      del: db.transaction((ns: string, bucket: string, key: string) => {
        const old = all.get.get(ns, bucket, key);
        if (!old) return false;
        all.delRow.run(ns, bucket, key);
        all.addUsed.run(ns, -pairBytes(key, old.value.length));
        return true;
      }),
      incr: db.transaction((ns: string, bucket: string, key: string, delta: bigint, quotaBytes: number): bigint | OverQuota | NotCounter => {
        const old = all.get.get(ns, bucket, key);
        const current = old ? parseCounter(old.value) : 0n;
        if (current === undefined) return { notCounter: true };
        const next = (current + delta) & U64_MAX; // wraps like a u64
        return this.#put(all, ns, bucket, key, Buffer.from(next.toString()), quotaBytes) ?? next;
      }),
    };
    this.#db = db;
    this.#st = all;
    return { db, st: all };
  }

  /** Write `value` at the key when the quota allows, in the caller's transaction. */
  #put(st: Statements, ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number): OverQuota | undefined {
    const old = st.get.get(ns, bucket, key);
    const before = old ? pairBytes(key, old.value.length) : 0;
    const after = pairBytes(key, value.length);
    const used = st.used.get(ns)?.bytes ?? 0;
    const wouldBe = used - before + after;
    if (after > before && wouldBe > quotaBytes) return { over: { usedBytes: used, wouldBe } };
    st.put.run(ns, bucket, key, value);
    if (after !== before) st.addUsed.run(ns, after - before);
    return undefined;
  }

  async get(ns: string, bucket: string, key: string): Promise<Uint8Array | undefined> {
    const row = this.#open().st.get.get(ns, bucket, key);
    return row ? new Uint8Array(row.value) : undefined;
  }

  async set(ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number): Promise<OverQuota | undefined> {
    return this.#open().st.set.immediate(ns, bucket, key, value, quotaBytes);
  }

  async delete(ns: string, bucket: string, key: string): Promise<boolean> {
    return this.#open().st.del.immediate(ns, bucket, key);
  }

  async exists(ns: string, bucket: string, key: string): Promise<boolean> {
    return this.#open().st.get.get(ns, bucket, key) !== undefined;
  }

  async listKeys(ns: string, bucket: string, cursor: number, limit: number): Promise<KeyPage> {
    const rows = this.#open().st.keys.all(ns, bucket, limit + 1, cursor);
    const keys = rows.slice(0, limit).map((r) => r.key);
    return rows.length > limit ? { keys, next: cursor + limit } : { keys };
  }

  async increment(ns: string, bucket: string, key: string, delta: bigint, quotaBytes: number): Promise<bigint | OverQuota | NotCounter> {
    return this.#open().st.incr.immediate(ns, bucket, key, delta, quotaBytes);
  }

  async usage(ns?: string): Promise<NamespaceUsage[]> {
    const { db } = this.#open();
    const rows = (
      ns === undefined
        ? db.prepare('SELECT ns, bucket, count(*) AS keys, sum(length(CAST(key AS BLOB)) + length(value)) AS bytes FROM kv GROUP BY ns, bucket ORDER BY ns, bucket').all()
        : db.prepare('SELECT ns, bucket, count(*) AS keys, sum(length(CAST(key AS BLOB)) + length(value)) AS bytes FROM kv WHERE ns = ? GROUP BY ns, bucket ORDER BY bucket').all(ns)
    ) as { ns: string; bucket: string; keys: number; bytes: number }[];
    const out = new Map<string, NamespaceUsage>();
    for (const r of rows) {
      const u = out.get(r.ns) ?? { namespace: r.ns, buckets: [], bytes: 0 };
      u.buckets.push({ bucket: r.bucket, keys: r.keys, bytes: r.bytes });
      u.bytes += r.bytes;
      out.set(r.ns, u);
    }
    return [...out.values()];
  }

  async clear(ns: string, bucket?: string, key?: string): Promise<number> {
    const { db } = this.#open();
    return db
      .transaction(() => {
        const where = key !== undefined ? 'ns = ? AND bucket = ? AND key = ?' : bucket !== undefined ? 'ns = ? AND bucket = ?' : 'ns = ?';
        const args = [ns, ...(bucket !== undefined ? [bucket] : []), ...(key !== undefined ? [key] : [])];
        const freed = (db.prepare(`SELECT count(*) AS n, coalesce(sum(length(CAST(key AS BLOB)) + length(value)), 0) AS bytes FROM kv WHERE ${where}`).get(...args) as { n: number; bytes: number });
        db.prepare(`DELETE FROM kv WHERE ${where}`).run(...args);
        if (freed.bytes > 0) db.prepare('UPDATE usage SET bytes = bytes - ? WHERE ns = ?').run(freed.bytes, ns);
        return freed.n;
      })
      .immediate();
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
    this.#st = undefined;
  }
}
