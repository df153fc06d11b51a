/**
 * `npm run bench:storage`: what plugin storage (`wasi:keyvalue`, docs/STORAGE.md) costs a sandboxed
 * plugin, against the shared store it already has, measured side by side in one run:
 * test/fixtures/bench-storage-ts loops `n` operations inside one call (so a figure is the
 * operation, not the call), less the same call doing nothing. Values of 100 B and 10 KB.
 *
 * - `kv.set` / `kv.get` / `kv.increment`: one round trip to the host thread each, which runs the
 *   SQLite statement (the write in its own transaction with the quota check).
 * - `kv.setBytes` / `kv.getBytes`: the same with a `Uint8Array`, so without the guest's UTF-8
 *   conversion (QuickJS has no native TextEncoder: the SDK's polyfill does it in the interpreter);
 * - `store.set` / `store.get`: the shared store of the run; a `set` does not wait (it rides along
 *   with the next message), a `get` is a round trip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, silentLogSink, SqliteBackend, type Plugin } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Operations per call, by value size: the shared store takes at most 8 MB of writes per call. */
const N: Record<number, number> = { 100: 2000, [10 * 1024]: 400 };
const ROUNDS = 5;
const SIZES = [100, 10 * 1024];
const OPS = ['kv-set', 'store-set', 'kv-get', 'store-get', 'kv-set-bytes', 'kv-get-bytes', 'kv-increment'] as const;

export interface StorageFigures {
  n: Record<number, number>;
  /** µs per operation, by op and value size (`kv-set@100`). */
  perOpMicros: Record<string, number>;
  /** kv over store, same op and size. */
  ratios: Record<string, number>;
}

async function callMs(plugin: Plugin, node: string, n: number, size: number, store: Map<string, unknown>): Promise<number> {
  const t = performance.now();
  await plugin.runNode(node, { input: { n, size }, store });
  return performance.now() - t;
}

export async function benchStorage(tmp: string): Promise<StorageFigures> {
  const wasm = join(tmp, 'bench-storage.wasm');
  await buildPlugin(join(ROOT, 'test', 'fixtures', 'bench-storage-ts'), { out: wasm });
  const backend = new SqliteBackend(join(tmp, 'kv.sqlite'));
  const plugin = await loadPlugin(wasm, { cacheDir: join(tmp, 'cache'), log: silentLogSink, pool: 1, storage: backend });
  const perOpMicros: Record<string, number> = {};
  try {
    for (const size of SIZES) {
      const store = new Map<string, unknown>();
      // Warm up: the instance, the keys in both stores, SQLite's page cache.
      for (const op of ['empty', ...OPS]) await callMs(plugin, op, 200, size, store);
      const best: Record<string, number> = {};
      for (let r = 0; r < ROUNDS; r++) {
        for (const op of ['empty', ...OPS]) best[op] = Math.min(best[op] ?? Infinity, await callMs(plugin, op, N[size]!, size, store));
      }
      for (const op of OPS) perOpMicros[`${op}@${size}`] = ((best[op]! - best.empty!) * 1000) / N[size]!;
    }
  } finally {
    await plugin.close();
    await backend.close();
  }
  const ratios: Record<string, number> = {};
  for (const size of SIZES) {
    ratios[`set@${size}`] = perOpMicros[`kv-set@${size}`]! / perOpMicros[`store-set@${size}`]!;
    ratios[`get@${size}`] = perOpMicros[`kv-get@${size}`]! / perOpMicros[`store-get@${size}`]!;
  }
  return { n: N, perOpMicros, ratios };
}

export function formatStorage(f: StorageFigures): string {
  const us = (k: string): string => `${f.perOpMicros[k]!.toFixed(1).padStart(7)} µs`;
  const lines = ['', `Plugin storage (test/fixtures/bench-storage-ts, TypeScript/QuickJS, sandboxed; ${Object.entries(f.n).map(([s, n]) => `${n} operations per call at ${s} B`).join(', ')}; best of ${ROUNDS})`];
  for (const size of SIZES) {
    const label = size >= 1024 ? `${size / 1024} KB` : `${size} B`;
    lines.push(`  ${label} values`);
    lines.push(`    kv.set ${us(`kv-set@${size}`)}   store.set ${us(`store-set@${size}`)}   kv/store ${f.ratios[`set@${size}`]!.toFixed(2)}x`);
    lines.push(`    kv.get ${us(`kv-get@${size}`)}   store.get ${us(`store-get@${size}`)}   kv/store ${f.ratios[`get@${size}`]!.toFixed(2)}x`);
    lines.push(`    kv.setBytes ${us(`kv-set-bytes@${size}`)}   kv.getBytes ${us(`kv-get-bytes@${size}`)}   (no UTF-8 conversion in the guest)`);
  }
  lines.push(`  kv.increment ${us('kv-increment@100')}`, '');
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-bench-storage-'));
  try {
    const figures = await benchStorage(tmp);
    process.stdout.write(formatStorage(figures));
    process.stdout.write(`BENCH_STORAGE_JSON ${JSON.stringify(figures)}\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
