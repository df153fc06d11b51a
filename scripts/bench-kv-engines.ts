/**
 * `npm run bench:kv-engines`: why plugin storage is on SQLite, measured. The same storage
 * operations, with the same guarantees, on SQLite (better-sqlite3, the backend the host uses:
 * `SqliteBackend`) and on LMDB (lmdb-js, installed into a temporary folder for this run only, not
 * a dependency of pocket-wit), side by side in one process:
 *
 * - set: read the namespace's usage and the old value, check the quota, write the value and the
 *   usage, in one transaction committed before it returns (SQLite: WAL, `synchronous = NORMAL`;
 *   LMDB: `noSync`, so neither waits for the disk at each commit and both survive a killed process);
 * - get: one read; increment: read, add, write in one transaction.
 *
 * The figures are the backends alone, without the sandbox: `npm run bench:storage` measures what a
 * plugin sees (a round trip to the host thread plus one of these).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../host/src/storage/sqlite.js';

const LMDB_VERSION = '3.5.6';
const N = 20_000;

interface LmdbDb {
  get(key: string): unknown;
  putSync(key: string, value: unknown): void;
  transactionSync<T>(fn: () => T): T;
}
interface LmdbModule {
  open(options: { path: string; noSync?: boolean; encoding?: string }): LmdbDb & { close(): Promise<void> };
}

function lmdbModule(dir: string): LmdbModule {
  const prefix = join(dir, 'lmdb-install');
  if (!existsSync(join(prefix, 'node_modules', 'lmdb'))) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `lmdb@${LMDB_VERSION}`], { stdio: 'inherit' });
  }
  return createRequire(join(prefix, 'package.json'))('lmdb') as LmdbModule;
}

async function time(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, n); i++) await fn(i); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t) * 1000) / n;
}

const dir = mkdtempSync(join(tmpdir(), 'pocket-wit-bench-kv-'));
try {
  const lmdb = lmdbModule(dir);
  const sqlite = new SqliteBackend(join(dir, 'kv.sqlite'));
  const db = lmdb.open({ path: join(dir, 'lmdb'), noSync: true, encoding: 'binary' });
  const usageKey = 'usage:ns';
  const lmdbSet = (key: string, value: Buffer, quota: number): boolean =>
    db.transactionSync(() => {
      const used = Number((db.get(usageKey) as Buffer | undefined)?.toString() ?? 0);
      const old = db.get(key) as Buffer | undefined;
      const wouldBe = used - (old ? key.length + old.length : 0) + key.length + value.length;
      if (wouldBe > quota) return false;
      db.putSync(key, value);
      db.putSync(usageKey, Buffer.from(String(wouldBe)));
      return true;
    });
  const lmdbIncrement = (key: string): bigint =>
    db.transactionSync(() => {
      const next = BigInt((db.get(key) as Buffer | undefined)?.toString() ?? '0') + 1n;
      db.putSync(key, Buffer.from(next.toString()));
      return next;
    });
  const rows: [string, number, number][] = [];
  for (const size of [100, 10 * 1024]) {
    const value = Buffer.alloc(size, 120);
    const label = size >= 1024 ? `${size / 1024} KB` : `${size} B`;
    rows.push([`set ${label}`, await time(N, (i) => sqlite.set('ns', 'b', `k${i % 100}`, value, 1e12)), await time(N, (i) => lmdbSet(`ns/b/k${i % 100}`, value, 1e12))]);
    rows.push([`get ${label}`, await time(N, (i) => sqlite.get('ns', 'b', `k${i % 100}`)), await time(N, (i) => db.get(`ns/b/k${i % 100}`))]);
  }
  rows.push(['increment', await time(N, () => sqlite.increment('ns', 'b', 'n', 1n, 1e12)), await time(N, () => lmdbIncrement('ns/b/n'))]);
  process.stdout.write(`\nStorage engines alone (${N} operations each, one process; LMDB ${LMDB_VERSION} installed for this run)\n`);
  for (const [what, s, l] of rows) process.stdout.write(`  ${what.padEnd(12)} SQLite ${s.toFixed(1).padStart(6)} µs   LMDB ${l.toFixed(1).padStart(6)} µs   SQLite/LMDB ${(s / l).toFixed(2)}x\n`);
  process.stdout.write(`BENCH_KV_ENGINES_JSON ${JSON.stringify(Object.fromEntries(rows.map(([w, s, l]) => [w, { sqliteMicros: s, lmdbMicros: l }])))}\n`);
  await sqlite.close();
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
