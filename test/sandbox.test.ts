/**
 * The sandbox against real misbehaving plugins (test/fixtures/sandbox-ts, TypeScript on QuickJS):
 * each test makes the plugin try one thing, asserts the exact error, then asserts that the host
 * still serves a good call. Runs the real build, the real host, real worker threads.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlugin, PluginError, type LogRecord, type Plugin } from '../host/src/index.js';
import { built, CACHE_DIR, ROOT, recordingSink, runCli, tempDir, expectError } from './helpers.js';

const FIXTURE = 'test/fixtures/sandbox-ts';
let file: string;
let plugin: Plugin;
/** The same plugin under a 1 s timeout (the manifest says 10 s). */
let fast: Plugin;
const records: LogRecord[] = [];


async function stillServes(p: Plugin, tag: string): Promise<void> {
  const r = await p.runNode('echo', { input: { after: tag } });
  assert.equal(r.output, { after: tag });
}

test.before(async () => {
  file = await built(FIXTURE);
  plugin = await loadPlugin(file, { cacheDir: CACHE_DIR, log: (r) => void records.push(r), pool: 2 });
  fast = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, permissions: { timeout: 1000 } });
});

test.after(async () => {
  await plugin?.close();
  await fast?.close();
});

test('permissions: the manifest asks, the host narrows; tightening only', async () => {
  assert.equal(plugin.permissions?.timeoutMs, 10_000);
  assert.equal(plugin.permissions?.memoryBytes, 64 * 1024 * 1024);
  const looser = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, permissions: { timeout: '1m', memory: '1GB' } });
  assert.equal(looser.permissions?.timeoutMs, 10_000, 'a grant never loosens the timeout');
  assert.equal(looser.permissions?.memoryBytes, 64 * 1024 * 1024, 'a grant never loosens the memory cap');
  await looser.close();
  const tighter = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, permissions: { timeout: 250, memory: '32MB' } });
  assert.equal(tighter.permissions?.timeoutMs, 250);
  assert.equal(tighter.permissions?.memoryBytes, 32 * 1024 * 1024);
  await tighter.close();
});

test('busy loop: stopped at its timeout with `timeout`, then a fresh instance serves', async () => {
  const t = performance.now();
  await expectError(fast.exec('spin', {}), 'timeout', /sandbox-ts\/spin \(exec\) did not finish within its timeout of 1000 ms; it was stopped/);
  const took = performance.now() - t;
  assert.ok(took >= 990 && took < 2500, `timeout came after ${took} ms`);
  await stillServes(fast, 'spin');
});

test('deep recursion: a trap, and the instance is replaced', async () => {
  await expectError(plugin.exec('recurse', {}), 'trap', /sandbox-ts\/recurse \(exec\) trapped/);
  await stillServes(plugin, 'recurse');
});

test('allocation bomb: `memory-limit` at the 64 MB cap, fast', async () => {
  const t = performance.now();
  await expectError(plugin.exec('alloc', {}), 'memory-limit', /sandbox-ts\/alloc \(exec\) ran out of memory: it reached its memory limit of 64 MB/);
  assert.ok(performance.now() - t < 10_000, 'the cap stops it in seconds, not after the machine runs out');
  await stillServes(plugin, 'alloc');
});

test('huge output: `size-limit` with the limit named; the host never takes it', async () => {
  const small = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, limits: { maxOutputBytes: 1024 * 1024 } });
  try {
    await expectError(small.exec('big-output', { mb: 4 }), 'size-limit', /returned 4 MB, more than the output limit of 1 MB/);
    await stillServes(small, 'big-output');
  } finally {
    await small.close();
  }
});

test('huge input: `size-limit` before anything is sent', async () => {
  const small = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, limits: { maxInputBytes: 1024 } });
  try {
    await expectError(small.runNode('echo', { input: { text: 'z'.repeat(4096) } }), 'size-limit', /the prep request to sandbox-ts\/echo is .* more than the input limit of 1 KB/);
    await stillServes(small, 'big-input');
  } finally {
    await small.close();
  }
});

test('a memory limit below what the plugin needs at start fails at load, giving the size needed', async () => {
  const err = await expectError(loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, permissions: { memory: '1MB' } }), 'memory-limit');
  assert.match(err.message, /sandbox-ts (needs [\d.]+ MB of memory at start|needs more memory to start)/);
  assert.match(err.message, /permissions\.memory/);
});

test('the host API crosses the worker boundary: store and log, with the plugin name', async () => {
  const store = new Map<string, unknown>([['visits', 2]]);
  const sink = recordingSink();
  const r = await plugin.runNode('chatty', { input: { lines: 3 }, store, log: sink.sink });
  assert.equal(r.output, { logged: 3, seen: 2 });
  assert.is(store.get('visits'), 3);
  assert.equal(
    sink.records.map((x) => [x.plugin, x.node, x.message, x.fields]),
    [0, 1, 2].map((i) => ['sandbox-ts', 'chatty', `line ${i}`, { i }]),
  );
});

test('50 concurrent calls, one spinning: the other 49 finish on time; the spinner times out', async () => {
  const pool = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 4, permissions: { timeout: 3000 } });
  try {
    // A warm pool: four workers up.
    await Promise.all([0, 1, 2, 3].map((i) => pool.exec('echo', { warm: i })));
    const started = performance.now();
    let spinnerDone = false;
    const spinning = pool.exec('spin', {}).then(
      () => 'finished',
      (e: PluginError) => {
        spinnerDone = true;
        return e.code;
      },
    );
    const done: number[] = [];
    const calls = Array.from({ length: 49 }, (_, i) =>
      pool.exec('echo', { i }).then((out) => {
        done.push(performance.now() - started);
        return out;
      }),
    );
    const outs = await Promise.all(calls);
    assert.equal(outs, Array.from({ length: 49 }, (_, i) => ({ i })));
    assert.not.ok(spinnerDone, 'the good calls did not wait for the spinner');
    const slowest = Math.max(...done);
    assert.ok(slowest < 2000, `the 49 good calls finished within ${slowest.toFixed(0)} ms, well inside their 3000 ms timeout`);
    assert.is(await spinning, 'timeout');
    await stillServes(pool, 'concurrent');
  } finally {
    await pool.close();
  }
});

test('one plugin spinning does not stop another plugin', async () => {
  const other = await loadPlugin(await built('examples/sentiment-analyzer'), { cacheDir: CACHE_DIR, pool: 1 });
  try {
    const spinning = fast.exec('spin', {}).catch((e: PluginError) => e.code);
    const r = await other.runNode('sentiment', { input: { text: 'This is great' } });
    assert.is((r.output as { sentiment: string }).sentiment, 'positive');
    assert.is(await spinning, 'timeout');
  } finally {
    await other.close();
  }
});

test('pocket-wit run --timeout / --memory tighten the limits; bad values are usage errors', async () => {
  const project = join(ROOT, FIXTURE);
  const spin = await runCli(['run', project, 'spin', '--timeout', '300ms']);
  assert.is(spin.code, 1, spin.stderr);
  assert.match(spin.stderr, /error\[timeout\]: sandbox-ts\/spin \(exec\) did not finish within its timeout of 300 ms/);
  const mem = await runCli(['run', project, 'echo', '--memory', '1MB', '--input', '{}']);
  assert.is(mem.code, 1, mem.stderr);
  assert.match(mem.stderr, /error\[memory-limit\]/);
  const bad = await runCli(['run', project, 'echo', '--timeout', 'soon']);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--timeout "soon" is not a duration; write for example --timeout 2s/);
  const ok = await runCli(['run', project, 'echo', '--timeout', '2s', '--input', '{"x":1}', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout), { output: { x: 1 }, next: 'default' });
});

test('pocket-wit flow --timeout / --memory tighten every plugin of the workflow', async () => {
  const dir = tempDir('pocket-wit-sandbox-flow-');
  const workflow = join(dir, 'spin.yaml');
  writeFileSync(workflow, 'name: spin\nstart: busy\nnodes:\n  - { name: busy, type: spin }\n');
  // test/fixtures/kitchen-sink: its `spin` busy-waits input.ms; its manifest allows 2 s per call.
  const project = join(ROOT, 'test/fixtures/kitchen-sink');
  const spin = await runCli(['flow', workflow, '--plugins', project, '--timeout', '300ms', '--input', '{"ms":3000}', '--json']);
  assert.is(spin.code, 1, spin.stderr);
  assert.match(spin.stderr, /error\[timeout\]: .*kitchen-sink\/spin \(exec\) did not finish within its timeout of 300 ms/);
  const mem = await runCli(['flow', workflow, '--plugins', project, '--memory', '1MB', '--json']);
  assert.is(mem.code, 1, mem.stderr);
  assert.match(mem.stderr, /error\[memory-limit\]/);
  const bad = await runCli(['flow', workflow, '--plugins', project, '--memory', 'lots']);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--memory "lots" is not a size; write for example --memory 32MB/);
});

test.run();
