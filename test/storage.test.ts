/**
 * Persistent plugin storage (`wasi:keyvalue@0.2.0-draft`, docs/STORAGE.md) from TypeScript, with
 * the real toolchain, host and CLI: test/fixtures/storage-ts and examples/storage/visit-counter, built,
 * then run from separate `pocket-wit run` processes and batches (counts exact across processes
 * and worker threads), against the quota, without the grant, through `kill -9` mid-write, and
 * inspected with `pocket-wit storage`. Each test has its own POCKET_HOME (its own database).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlugin, SqliteBackend, validateManifest } from '../host/src/index.js';
import { permissionGrowth } from '../host/src/installed/consent-diff.js';
import { consentFor } from '../host/src/installed/lockfile.js';
import { CACHE_DIR, CLI, ROOT, built, expectError, runCli, tempDir } from './helpers.js';
import { Sqlite, storageHome, storedText } from './storage-helpers.js';

const FIXTURE = 'test/fixtures/storage-ts';

async function runJson(args: string[], env: Record<string, string>): Promise<{ output: Record<string, unknown> }> {
  const r = await runCli([...args, '--json'], { env });
  assert.is(r.code, 0, `${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { output: Record<string, unknown> };
}

test('a counter is exact across separate pocket-wit run processes', async () => {
  const wasm = await built(FIXTURE);
  const h = storageHome();
  const counts: unknown[] = [];
  for (let i = 0; i < 3; i++) counts.push((await runJson(['run', wasm, 'count', '--input', '{}'], h.env)).output.count);
  assert.equal(counts, [1, 2, 3]);
  // Two processes at once, 5 calls each through a batch: 10 more, none lost.
  const dir = tempDir('pocket-wit-storage-two-');
  const wf = join(dir, 'count.yaml');
  writeFileSync(wf, `name: count\nstart: count\nnodes:\n  - { name: count, type: count }\n`);
  writeFileSync(join(dir, 'in.jsonl'), '{}\n'.repeat(5));
  const both = await Promise.all(
    ['a', 'b'].map((n) => runCli(['flow', wf, '--plugins', join(ROOT, FIXTURE), '--batch', join(dir, 'in.jsonl'), '--out', join(dir, `${n}.jsonl`)], { env: h.env })),
  );
  for (const r of both) assert.is(r.code, 0, r.stderr);
  assert.is(storedText(h.db, 'storage-ts', 'data', 'calls'), '13');
});

test('a batch with 2 worker threads counts every item exactly once (visit-counter)', async () => {
  const h = storageHome();
  const dir = tempDir('pocket-wit-storage-batch-');
  const wf = join(dir, 'visits.yaml');
  writeFileSync(wf, `name: visits\nstart: count\nnodes:\n  - { name: count, type: count, config: { counter: batch } }\n`);
  writeFileSync(join(dir, 'in.jsonl'), '{}\n'.repeat(40));
  const r = await runCli(['flow', wf, '--plugins', join(ROOT, 'examples/storage/visit-counter'), '--batch', join(dir, 'in.jsonl'), '--out', join(dir, 'out.jsonl'), '--concurrency', '2'], { env: h.env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /40 ok/);
  assert.is(storedText(h.db, 'visit-counter', 'counters', 'batch'), '40');
  // Every item saw a different count: 1..40, each once.
  const { readFileSync } = await import('node:fs');
  const seen = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { output: { count: number } }).output.count).sort((a, b) => a - b);
  assert.equal(seen, Array.from({ length: 40 }, (_, i) => i + 1));
});

test('values round-trip as text and JSON; keys list; delete removes', async () => {
  const h = storageHome();
  const wasm = await built(FIXTURE);
  const put = await runJson(['run', wasm, 'put', '--input', '{"key":"greeting","size":5}'], h.env);
  assert.equal(put.output, { stored: 5, has: true, keys: ['greeting'] });
  const value = { a: [1, 'two', { three: null }], unicode: 'żółw 🐢' };
  const json = await runJson(['run', wasm, 'json', '--input', JSON.stringify({ value })], h.env);
  assert.equal(json.output, { back: value, after: null });
});

test('the quota is enforced on every write: permission-denied naming the quota, nothing written', async () => {
  const h = storageHome();
  const wasm = await built(FIXTURE);
  await runJson(['run', wasm, 'put', '--input', '{"key":"a","size":600}'], h.env);
  const over = await runCli(['run', wasm, 'put', '--input', '{"key":"b","size":600}'], { env: h.env });
  assert.is(over.code, 1);
  assert.match(over.stderr, /error\[permission-denied\]/);
  assert.match(over.stderr, /storage quota of 1 KB/);
  assert.match(over.stderr, /pocket-wit storage rm storage-ts/);
  assert.is(storedText(h.db, 'storage-ts', 'data', 'b'), undefined);
  // Replacing a value with a smaller one is always allowed, and frees room.
  await runJson(['run', wasm, 'put', '--input', '{"key":"a","size":10}'], h.env);
  await runJson(['run', wasm, 'put', '--input', '{"key":"b","size":600}'], h.env);
});

test('no grant, no storage: --deny-storage, a narrowed bucket grant, and the SDK without the permission', async () => {
  const h = storageHome();
  const wasm = await built(FIXTURE);
  const denied = await runCli(['run', wasm, 'count', '--input', '{}', '--deny-storage'], { env: h.env });
  assert.is(denied.code, 1);
  assert.match(denied.stderr, /error\[permission-denied\].*grants this plugin no storage/);
  assert.not.ok(existsSync(h.db), 'a refused plugin created the database');
  // The host grants only the bucket `data`: `extra` is refused by the host, not only by the SDK.
  process.env.POCKET_HOME = h.env.POCKET_HOME;
  const plugin = await loadPlugin(wasm, { cacheDir: CACHE_DIR, permissions: { storage: { buckets: ['data'] } } });
  try {
    assert.equal(plugin.permissions?.storage?.buckets, ['data']);
    await expectError(plugin.runNode('extra', { input: {} }), 'permission-denied', /bucket "extra" is not granted/);
    assert.equal((await plugin.runNode('count', { input: {} })).output, { count: 1 });
  } finally {
    await plugin.close();
    delete process.env.POCKET_HOME;
  }
  // A plugin whose manifest declares no storage imports no wasi:keyvalue, and its ctx.kv refuses
  // with the fix (test/sandbox-ts-build.test.ts).
});

test('kill -9 during a write loop leaves a consistent, readable database', async () => {
  const h = storageHome();
  const wasm = await built(FIXTURE);
  const child = spawn(process.execPath, [CLI, 'run', wasm, 'loop', '--input', '{}'], { env: { ...process.env, ...h.env, POCKET_WIT_CACHE: CACHE_DIR }, stdio: 'ignore' });
  // Kill it once it has written for a while.
  const deadline = Date.now() + 30_000;
  let before = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    if (!existsSync(h.db)) continue;
    try {
      before = Number(storedText(h.db, 'storage-ts', 'data', 'loop') ?? 0);
    } catch {
      continue; // the first transaction may still be creating the tables
    }
    if (before >= 200) break;
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(before >= 200, `the loop wrote only ${before} increments`);
  const conn = new Sqlite(h.db);
  try {
    assert.is((conn.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
    const loop = Number((conn.prepare("SELECT value FROM kv WHERE ns = 'storage-ts' AND key = 'loop'").get() as { value: Buffer }).value.toString());
    assert.ok(loop >= before, `${loop} < ${before}: a committed increment was lost`);
    // The quota's bookkeeping matches what is stored: nothing half-written.
    const sum = conn.prepare("SELECT sum(length(CAST(key AS BLOB)) + length(value)) AS n FROM kv WHERE ns = 'storage-ts'").get() as { n: number };
    const usage = conn.prepare("SELECT bytes FROM usage WHERE ns = 'storage-ts'").get() as { bytes: number };
    assert.is(usage.bytes, sum.n);
  } finally {
    conn.close();
  }
  // And the next process carries on from there.
  const next = await runJson(['run', wasm, 'count', '--input', '{}'], h.env);
  assert.is(next.output.count, 1);
});

test('install shows and records the storage grant; an installed plugin gets at most what was consented', async () => {
  const h = storageHome();
  const r = await runCli(['install', join(ROOT, FIXTURE), '--yes'], { env: h.env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /storage: buckets data, extra, quota 1KB/);
  const lockFile = join(h.env.POCKET_HOME!, 'plugins', 'pocket-lock.json');
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { plugins: Record<string, { consented: { storage?: unknown } }> };
  assert.equal(lock.plugins['storage-ts']!.consented.storage, { buckets: ['data', 'extra'], quota: '1KB' });
  assert.is((await runJson(['run', 'storage-ts', 'count', '--input', '{}'], h.env)).output.count, 1);
  // A consent for fewer buckets: the other bucket is refused by the host.
  lock.plugins['storage-ts']!.consented.storage = { buckets: ['data'], quota: '1KB' };
  writeFileSync(lockFile, JSON.stringify(lock));
  const extra = await runCli(['run', 'storage-ts', 'extra', '--input', '{}'], { env: h.env });
  assert.is(extra.code, 1);
  assert.match(extra.stderr, /error\[permission-denied\].*bucket "extra" is not granted/);
  // A consent recorded without storage (before storage existed): none.
  delete lock.plugins['storage-ts']!.consented.storage;
  writeFileSync(lockFile, JSON.stringify(lock));
  const none = await runCli(['run', 'storage-ts', 'count', '--input', '{}'], { env: h.env });
  assert.is(none.code, 1);
  assert.match(none.stderr, /error\[permission-denied\].*grants this plugin no storage/);
});

test('pocket-wit storage ls, get and rm', async () => {
  const h = storageHome();
  const wasm = await built(FIXTURE);
  await runJson(['run', wasm, 'count', '--input', '{}'], h.env);
  await runJson(['run', wasm, 'put', '--input', '{"key":"note","size":3}'], h.env);
  const ls = await runCli(['storage', 'ls'], { env: h.env });
  assert.is(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /storage-ts\s+data\s+2/);
  const keys = await runCli(['storage', 'ls', 'storage-ts', '--json'], { env: h.env });
  assert.equal((JSON.parse(keys.stdout) as { keys: { key: string }[] }).keys.map((k) => k.key), ['calls', 'note']);
  const get = await runCli(['storage', 'get', 'storage-ts', 'calls'], { env: h.env });
  assert.is(get.stdout.trim(), '1');
  const missing = await runCli(['storage', 'get', 'storage-tss', 'calls'], { env: h.env });
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\].*did you mean storage-ts\?/);
  const noYes = await runCli(['storage', 'rm', 'storage-ts'], { env: h.env });
  assert.is(noYes.code, 2);
  assert.match(noYes.stderr, /pass --yes/);
  const rm = await runCli(['storage', 'rm', 'storage-ts', 'calls', '--yes'], { env: h.env });
  assert.is(rm.code, 0, rm.stderr);
  assert.is(storedText(h.db, 'storage-ts', 'data', 'calls'), undefined);
  const all = await runCli(['storage', 'rm', 'storage-ts', '--yes'], { env: h.env });
  assert.match(all.stdout, /removed 1 key/);
  assert.match((await runCli(['storage', 'ls'], { env: h.env })).stdout, /no plugin has stored anything yet/);
  const bad = await runCli(['storage', 'list'], { env: h.env });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /did you mean ls\?/);
});

test('manifest: storage buckets and quota are validated; consent and info show them', async () => {
  const base = { name: 'p', version: '1.0.0' };
  assert.throws(() => validateManifest({ ...base, permissions: { storage: { buckets: [] } } }), /storage/);
  assert.throws(() => validateManifest({ ...base, permissions: { storage: { buckets: ['Bad Name'] } } }), /buckets/);
  assert.throws(() => validateManifest({ ...base, permissions: { storage: { buckets: ['a'], quota: '0MB' } } }), /no space at all/);
  assert.throws(() => validateManifest({ ...base, permissions: { storage: { bucket: ['a'] } } }), /bucket/);
  const before = consentFor({ storage: { buckets: ['a'], quota: '1MB' } });
  assert.equal(permissionGrowth(before, consentFor({ storage: { buckets: ['a'], quota: '1MB' } })), []);
  assert.equal(
    permissionGrowth(before, consentFor({ storage: { buckets: ['a', 'b'], quota: '2MB' } })).map((g) => [g.field, g.from, g.to]),
    [['storage', 'a', 'a, b'], ['storage', 'quota 1MB', 'quota 2MB']],
  );
  assert.equal(permissionGrowth(consentFor({}), consentFor({ storage: { buckets: ['a'] } })).map((g) => g.to), ['a', 'quota 10MB']);
  const info = await runCli(['info', join(ROOT, FIXTURE)], { env: storageHome().env });
  assert.match(info.stdout, /storage: buckets data, extra, quota 1KB/);
});

test('pocket-wit check: a plugin importing wasi:keyvalue fits this host (TypeScript and Rust)', async () => {
  for (const wasm of [await built(FIXTURE), await built('test/fixtures/storage-rust')]) {
    const r = await runCli(['check', wasm, '--json']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { compatible: boolean; problems: unknown[] };
    assert.ok(report.compatible, JSON.stringify(report.problems));
  }
});

/** A node process running `body` with `kv`, a SqliteBackend on `file` (the compiled module under dist/); its stdout. */
function sqliteChild(file: string, body: string): Promise<string> {
  const module = pathToFileURL(join(ROOT, 'dist', 'host', 'src', 'storage', 'sqlite.js')).href;
  const code = `import { SqliteBackend } from ${JSON.stringify(module)};\nconst kv = new SqliteBackend(${JSON.stringify(file)});\n${body}\nawait kv.close();\n`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}:\n${out}`))));
  });
}

test('SQLite across 4 processes at once: increments exact, the quota never overshot, the bookkeeping true', async () => {
  const file = join(tempDir('pocket-wit-storage-procs-'), 'kv.sqlite');
  // Each process: 250 increments and 50 writes of a 100-byte pair (5-byte key, 95-byte value),
  // interleaved, against a quota of 2,000 bytes: exactly 20 writes fit, whoever makes them.
  const body = `const got = []; let stored = 0;
for (let i = 0; i < 250; i++) {
  got.push(await kv.increment('p', 'b', 'n', 1n, 1e9));
  if (i % 5 === 0) { const r = await kv.set('q', 'b', ID + String(i / 5).padStart(4, '0'), new Uint8Array(95), 2000); if (!r) stored++; }
}
console.log(JSON.stringify({ got: got.map(String), stored }));`;
  const outs = await Promise.all(['a', 'b', 'c', 'd'].map((id) => sqliteChild(file, `const ID = ${JSON.stringify(id)};\n${body}`)));
  const results = outs.map((o) => JSON.parse(o.trim().split('\n').pop()!) as { got: string[]; stored: number });
  const all = results.flatMap((r) => r.got.map(Number)).sort((x, y) => x - y);
  assert.equal(all, Array.from({ length: 1000 }, (_, i) => i + 1), 'each value returned once');
  assert.is(results.reduce((n, r) => n + r.stored, 0), 20);
  const b = new SqliteBackend(file);
  try {
    const [usage] = await b.usage('q');
    assert.is(usage!.bytes, 2000);
    assert.is(Buffer.from((await b.get('p', 'b', 'n'))!).toString(), '1000');
  } finally {
    await b.close();
  }
});

test('the SQLite backend: list-keys pages in byte order; increment wraps like a u64 and refuses text', async () => {
  const dir = tempDir('pocket-wit-storage-sqlite-');
  mkdirSync(dir, { recursive: true });
  const b = new SqliteBackend(join(dir, 'kv.sqlite'));
  try {
    for (let i = 0; i < 2500; i++) await b.set('ns', 'b', `k${String(i).padStart(4, '0')}`, new Uint8Array([i % 256]), 1e9);
    const first = await b.listKeys('ns', 'b', 0, 1000);
    assert.is(first.keys.length, 1000);
    assert.is(first.keys[0], 'k0000');
    const last = await b.listKeys('ns', 'b', 2000, 1000);
    assert.is(last.keys.length, 500);
    assert.is(last.next, undefined);
    assert.is(await b.increment('ns', 'b', 'n', (1n << 64n) - 1n, 1e9), (1n << 64n) - 1n);
    assert.is(await b.increment('ns', 'b', 'n', 2n, 1e9), 1n);
    await b.set('ns', 'b', 't', Buffer.from('hello'), 1e9);
    assert.equal(await b.increment('ns', 'b', 't', 1n, 1e9), { notCounter: true });
    assert.is(await b.clear("ns", "b"), 2502);
    assert.equal(await b.usage('ns'), []);
  } finally {
    await b.close();
  }
});

test.run();
