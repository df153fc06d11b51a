/**
 * Persistent plugin storage from Rust (`pocket_plugin::kv`, the SDK's hand-written
 * `wasi:keyvalue@0.2.0-draft` imports; docs/languages/rust.md#storage), with the real toolchain,
 * host and CLI: test/fixtures/storage-rust built with Debian's cargo, then run from separate
 * `pocket-wit run` processes and a batch on 2 worker threads (counts exact), every import's
 * result layout once (`roundtrip`), against the 2 KB quota, a bucket not granted, and
 * test/fixtures/storage-rust-denied (kv without `permissions.storage`). Each test has its own
 * POCKET_HOME (its own database). Setup is inside the tests: uvu hides errors of before hooks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { built, runCli, tempDir } from './helpers.js';
import { storageHome, storedText } from './storage-helpers.js';

const FIXTURE = 'test/fixtures/storage-rust';
const DENIED = 'test/fixtures/storage-rust-denied';

/** `pocket-wit run <wasm> <node> --input {} --json` in its own process; its output. */
async function run(wasm: string, node: string, env: Record<string, string>, input: unknown = {}): Promise<Record<string, unknown>> {
  const r = await runCli(['run', wasm, node, '--input', JSON.stringify(input), '--json'], { env });
  assert.is(r.code, 0, `run ${node} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { output: Record<string, unknown> }).output;
}

/** A folder for `--plugins` holding just the built component. */
function pluginsDir(wasm: string): string {
  const dir = tempDir('pocket-wit-storage-rust-plugins-');
  copyFileSync(wasm, join(dir, 'storage-rust.wasm'));
  return dir;
}

/** The `import` lines of a component's WIT. */
async function imports(wasm: string): Promise<string[]> {
  const wit = await componentWit(new Uint8Array(readFileSync(wasm)));
  return wit
    .split('\n')
    .filter((l) => /^\s*import /.test(l))
    .map((l) => l.trim())
    .sort();
}

test('builds with cargo into the world with wasi:keyvalue; a Rust plugin without kv imports none of it', async () => {
  const wasm = await built(FIXTURE);
  // (No pocket:plugin/host: the fixture neither logs nor uses the shared store.)
  assert.equal(await imports(wasm), ['import pocket:plugin/types@0.2.1;', 'import wasi:keyvalue/atomics@0.2.0-draft;', 'import wasi:keyvalue/store@0.2.0-draft;']);
  // Same SDK, no kv calls: only the imports the code references are linked.
  assert.equal(await imports(await built('test/fixtures/semantics-rust')), ['import pocket:plugin/host@0.2.1;', 'import pocket:plugin/types@0.2.1;']);
});

test('a counter is exact across separate pocket-wit run processes', async () => {
  const wasm = await built(FIXTURE);
  const h = storageHome('pocket-wit-storage-rust-home-');
  const counts: unknown[] = [];
  for (let i = 0; i < 3; i++) counts.push((await run(wasm, 'count', h.env)).count);
  assert.equal(counts, [1, 2, 3]);
  assert.is(storedText(h.db, 'storage-rust', 'counters', 'calls'), '3');
  // Two processes at once, a batch of 5 each: 10 more, none lost.
  const dir = tempDir('pocket-wit-storage-rust-two-');
  const wf = join(dir, 'count.yaml');
  writeFileSync(wf, 'name: count\nstart: count\nnodes:\n  - { name: count, type: count }\n');
  writeFileSync(join(dir, 'in.jsonl'), '{}\n'.repeat(5));
  const plugins = pluginsDir(wasm);
  const both = await Promise.all(['a', 'b'].map((n) => runCli(['flow', wf, '--plugins', plugins, '--batch', join(dir, 'in.jsonl'), '--out', join(dir, `${n}.jsonl`)], { env: h.env })));
  for (const r of both) assert.is(r.code, 0, r.stderr);
  assert.is(storedText(h.db, 'storage-rust', 'counters', 'calls'), '13');
  assert.equal((await run(wasm, 'count', h.env)).count, 14);
});

test('a batch of 40 items on 2 worker threads counts every item exactly once', async () => {
  const wasm = await built(FIXTURE);
  const h = storageHome('pocket-wit-storage-rust-home-');
  const dir = tempDir('pocket-wit-storage-rust-batch-');
  const wf = join(dir, 'count.yaml');
  writeFileSync(wf, 'name: count\nstart: count\nnodes:\n  - { name: count, type: count }\n');
  writeFileSync(join(dir, 'in.jsonl'), '{}\n'.repeat(40));
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['flow', wf, '--plugins', pluginsDir(wasm), '--batch', join(dir, 'in.jsonl'), '--out', out, '--concurrency', '2'], { env: h.env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^batch: 40 ok, 0 failed of 40 inputs .*\(concurrency 2\)/);
  assert.is(storedText(h.db, 'storage-rust', 'counters', 'calls'), '40');
  // Every item saw a different count: 1..40, each once.
  const seen = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { output: { count: number } }).output.count)
    .sort((a, b) => a - b);
  assert.equal(seen, Array.from({ length: 40 }, (_, i) => i + 1));
});

test('every import once: bytes, text, JSON, empty and missing values, exists, keys, delete, u64 increments, errors', async () => {
  const wasm = await built(FIXTURE);
  const h = storageHome('pocket-wit-storage-rust-home-');
  const out = await run(wasm, 'roundtrip', h.env);
  assert.equal(out, {
    doc: { a: [1, 2], é: 'ü' },
    text: 'héllo',
    bytes: [0, 1, 255],
    empty: [],
    missing: null,
    exists: [true, false],
    keys: ['bytes', 'doc', 'empty', 'text'],
    existsAfterDelete: false,
    keysAfterDelete: ['bytes', 'empty', 'text'],
    // 5, then 5 + 2^32: the u64 crosses the i64 lowering intact.
    increments: [5, 4294967301],
    counter: 4294967301,
    notCounter: 'error[invalid-input]: kv "counters".increment("text"): storage-rust: increment of "text" in bucket counters: its value is not a counter (the decimal text of a u64)',
    notJson: 'error[invalid-input]: kv "counters".get_json("text"): the stored value is not JSON (read it with get or get_text)',
    left: [],
  });
});

test('the quota: the write that would pass 2 KB fails with permission-denied naming the quota, and is not applied', async () => {
  const wasm = await built(FIXTURE);
  const h = storageHome('pocket-wit-storage-rust-home-');
  // 606 bytes a key (fill-N + 600): three fit in 2 KB, the fourth does not.
  const r = await runCli(['run', wasm, 'fill', '--input', JSON.stringify({ bytes: 600, times: 5 })], { env: h.env });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[permission-denied\]: node fill, exec: kv "counters"\.set\("fill-3"\): storage-rust: writing "fill-3" to bucket counters would store 2\.4 KB, more than its storage quota of 2 KB \(permissions\.storage\.quota\)/);
  assert.is(storedText(h.db, 'storage-rust', 'counters', 'fill-2')?.length, 600);
  assert.is(storedText(h.db, 'storage-rust', 'counters', 'fill-3'), undefined);
  // Under the quota, the same node succeeds.
  assert.equal(await run(wasm, 'fill', storageHome('pocket-wit-storage-rust-home-').env, { bytes: 100, times: 3 }), { written: 3 });
});

test('a bucket the manifest does not grant: permission-denied naming it and the fix', async () => {
  const wasm = await built(FIXTURE);
  const r = await runCli(['run', wasm, 'other-bucket', '--input', '{}'], { env: storageHome('pocket-wit-storage-rust-home-').env });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[permission-denied\]: node other-bucket, exec: kv "secrets"\.open\(\): bucket "secrets" is not granted; name it in permissions\.storage\.buckets in manifest\.yaml/);
});

test('a plugin without permissions.storage builds, and every call is refused with permission-denied', async () => {
  const wasm = await built(DENIED);
  assert.ok((await imports(wasm)).includes('import wasi:keyvalue/store@0.2.0-draft;'));
  const h = storageHome('pocket-wit-storage-rust-home-');
  const r = await runCli(['run', wasm, 'count', '--input', '{}'], { env: h.env });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[permission-denied\]: node count, exec: kv "counters"\.open\(\): no storage permission/);
  assert.not.match(r.stderr, /^grant .*storage/m);
});

test.run();
