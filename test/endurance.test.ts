/**
 * Endurance: long runs on one loaded plugin and big batches lose nothing.
 *
 * - Every example serves 5,000 calls on one loaded plugin without a failure, with the retry on a
 *   fresh instance turned off, so a leak shows as a failure instead of being papered over (the
 *   Go example used to die with "runtime: out of memory" every ~155 calls under its 32 MB cap).
 * - A call whose instance dies (out of memory, a trap) is retried once on a fresh instance, in
 *   Rust, Go and C; a deterministic failure still fails, with both attempts in its error; the
 *   workflow trace records the retry, and a batch's records and summary count it.
 * - The demo batch (review-report.yaml, all four languages) over 3,000 reviews: 0 failed.
 *
 * The 100,000-call soak with memory figures is a benchmark (`npm run bench:soak`), not a test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlugin, Flow, NodeRegistry, silentLogSink, type Plugin, type PluginError } from '../host/src/index.js';
import { built, CACHE_DIR, expectError, ROOT, runCli, tempDir } from './helpers.js';

const CALLS = 5000;
/** The linear memory once warm (after this many calls) is compared with the end's. */
const WARM_CALLS = 500;
/** What the end may hold more than once warm: a few pages of allocator slack, no steady growth. */
const FLAT_SLACK_BYTES = 512 * 1024;

const REVIEWS = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as { id: string; product: string; text: string }[];

interface Example {
  project: string;
  node: string;
  input: (i: number) => unknown;
}

const EXAMPLES: Example[] = [
  { project: 'examples/sentiment-analyzer', node: 'sentiment', input: (i) => ({ text: REVIEWS[i % REVIEWS.length]!.text }) },
  { project: 'examples/word-counter', node: 'word-count', input: (i) => ({ text: `${REVIEWS[i % REVIEWS.length]!.text} ${i}` }) },
  { project: 'examples/c-word-stats', node: 'word-stats', input: (i) => ({ text: REVIEWS[i % REVIEWS.length]!.text.repeat(1 + (i % 3)) }) },
  {
    project: 'examples/json-transformer',
    node: 'json-transform',
    input: (i) => ({ data: { review: REVIEWS[i % REVIEWS.length], n: { i, list: [i, i + 1, { deep: 'x'.repeat(i % 50) }] } }, transform: 'flatten' }),
  },
];

for (const example of EXAMPLES) {
  test(`${example.project}: ${CALLS} calls on one loaded plugin, none fails (no retries)`, async () => {
    const plugin = await loadPlugin(await built(example.project), { cacheDir: CACHE_DIR, log: silentLogSink, retryCrashed: false });
    const failures: string[] = [];
    let warm: number | undefined;
    let end: number | undefined;
    try {
      for (let i = 0; i < CALLS; i++) {
        try {
          await plugin.runNode(example.node, { input: example.input(i) });
        } catch (err) {
          failures.push(`call ${i + 1}: ${(err as PluginError).code}: ${(err as Error).message.slice(0, 300)}`);
          if (failures.length >= 5) break;
        }
        if (i === WARM_CALLS - 1) warm = plugin.stats()?.memoryBytes;
      }
      end = plugin.stats()?.memoryBytes;
    } finally {
      await plugin.close();
    }
    assert.equal(failures, [], failures.join('\n'));
    // Flat memory: the linear memory after the last call is what it was once warm.
    assert.ok(warm !== undefined && warm > 0 && end !== undefined, 'the plugin reports its linear memory');
    assert.ok(end - warm <= FLAT_SLACK_BYTES, `linear memory grew from ${warm} to ${end} bytes between call ${WARM_CALLS} and call ${CALLS}`);
  });
}

/** Call `leak` until `n` calls are done; returns the failures and the retries seen. */
async function leakRun(plugin: Plugin, n: number, kb: number): Promise<{ failed: PluginError[]; retries: { phase: string; code: string }[]; ok: number }> {
  const failed: PluginError[] = [];
  const retries: { phase: string; code: string }[] = [];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    try {
      await plugin.runNode('leak', { input: { kb }, onRetry: (phase, err) => void retries.push({ phase, code: err.code }) });
      ok++;
    } catch (err) {
      failed.push(err as PluginError);
    }
  }
  return { failed, retries, ok };
}

const LEAKERS = [
  // Rust: 512 KB kept per call under an 8 MB cap: the instance runs out after about a dozen calls.
  { name: 'Rust', project: 'test/fixtures/hostile-rust', memory: '8MB', kb: 512, calls: 60 },
  // Go: 1 MB kept per call under 40 MB (the runtime takes ~27 MB at start).
  { name: 'Go', project: 'test/fixtures/hostile-go', memory: '40MB', kb: 1024, calls: 40 },
];

for (const l of LEAKERS) {
  test(`${l.name}: a call whose instance ran out of memory is retried once on a fresh instance, and succeeds`, async () => {
    const file = await built(l.project);
    const plugin = await loadPlugin(file, { cacheDir: CACHE_DIR, log: silentLogSink, permissions: { memory: l.memory } });
    try {
      const r = await leakRun(plugin, l.calls, l.kb);
      assert.equal(r.failed.map((e) => `${e.code}: ${e.message}`), []);
      assert.is(r.ok, l.calls);
      assert.ok(r.retries.length >= 1, 'the instance ran out of memory at least once');
      assert.ok(r.retries.every((x) => x.code === 'memory-limit' && x.phase === 'exec'), JSON.stringify(r.retries));
      // The gauge shows the leak: one live instance, its memory near the cap.
      const stats = plugin.stats();
      assert.is(stats?.instances, 1);
      assert.ok(stats!.memoryBytes > 0 && stats!.memoryBytes <= plugin.permissions!.memoryBytes, JSON.stringify(stats));
    } finally {
      await plugin.close();
    }
    // The same without the retry: the leak is seen as failures (the test above is not vacuous).
    const bare = await loadPlugin(file, { cacheDir: CACHE_DIR, log: silentLogSink, permissions: { memory: l.memory }, retryCrashed: false });
    try {
      const r = await leakRun(bare, l.calls, l.kb);
      assert.ok(r.failed.length >= 1, 'without the retry some calls fail');
      assert.ok(r.failed.every((e) => e.code === 'memory-limit' && e.attempts === undefined));
      assert.is(r.retries.length, 0);
    } finally {
      await bare.close();
    }
  });

  test(`${l.name}: a deterministic crash still fails after its retry, with both attempts in the error`, async () => {
    const plugin = await loadPlugin(await built(l.project), { cacheDir: CACHE_DIR, log: silentLogSink });
    try {
      const retries: string[] = [];
      const err = await expectError(plugin.runNode('panic', { input: {}, onRetry: (phase) => void retries.push(phase) }), 'trap');
      assert.equal(retries, ['exec']);
      assert.is(err.attempts?.length, 2);
      assert.equal(
        err.attempts?.map((a) => a.code),
        ['trap', 'trap'],
      );
      assert.is(err.attempts?.[1]?.message, err.message);
      assert.equal((err.toJSON() as { attempts?: unknown[] }).attempts?.length, 2);
      // The instance after it is fresh and serves.
      assert.equal((await plugin.runNode('echo', { input: { ok: 1 } })).output, { ok: 1 });
      // A plugin's own error is its answer: never retried.
      const none: string[] = [];
      await expectError(plugin.runNode('no-such-node', { input: {}, onRetry: (p) => void none.push(p) }), 'not-found');
      assert.equal(none, []);
    } finally {
      await plugin.close();
    }
  });
}

test('a workflow step records the retry on a fresh instance in its trace', async () => {
  const dir = tempDir();
  const wf = join(dir, 'leak.yaml');
  writeFileSync(
    wf,
    ['name: leak', 'version: 1.0.0', 'start: leak', 'nodes:', '  - name: leak', '    type: leak', ''].join('\n'),
  );
  const plugin = await loadPlugin(await built('test/fixtures/hostile-rust'), { cacheDir: CACHE_DIR, log: silentLogSink, permissions: { memory: '8MB' } });
  try {
    const registry = new NodeRegistry(); // hostile-rust's echo would clash with the built-in one
    registry.addPlugin(plugin);
    const flow = Flow.load(wf, registry);
    const retried: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await flow.run({ input: { kb: 512 }, log: silentLogSink });
      for (const step of r.trace) if (step.instanceRetries) retried.push(...step.instanceRetries);
    }
    assert.ok(retried.length >= 1, 'a step was retried');
    assert.ok(retried.every((x) => (x as { code: string; phase: string }).code === 'memory-limit' && (x as { phase: string }).phase === 'exec'));
  } finally {
    await plugin.close();
  }
});

test('flow --batch (C): items whose instance ran out of memory are retried and counted; a deterministic crash is recorded with both attempts', async () => {
  const dir = tempDir();
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins);
  // endurance-c (C): its node types clash with no built-in, so a workflow names them from the CLI.
  copyFileSync(await built('test/fixtures/endurance-c'), join(plugins, 'endurance-c.wasm'));
  const wf = join(dir, 'leak.yaml');
  writeFileSync(wf, ['name: leak', 'version: 1.0.0', 'start: pick', 'nodes:', '  - name: pick', '    type: leak', 'connections: []', ''].join('\n'));
  const crash = join(dir, 'crash.yaml');
  writeFileSync(crash, ['name: crash', 'version: 1.0.0', 'start: boom', 'nodes:', '  - name: boom', '    type: crash', ''].join('\n'));
  writeFileSync(join(dir, 'in.jsonl'), `${Array.from({ length: 40 }, () => JSON.stringify({ kb: 512 })).join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['flow', wf, '--plugins', plugins, '--batch', join(dir, 'in.jsonl'), '--out', out, '--json']);
  assert.is(r.code, 0, r.stderr.slice(0, 2000));
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: number; failed: number; retried: number };
  assert.is(summary.ok, 40);
  assert.is(summary.failed, 0);
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; retried?: number });
  assert.ok(summary.retried >= 1, r.stdout);
  assert.is(records.filter((x) => x.retried).length, summary.retried);

  writeFileSync(join(dir, 'one.jsonl'), '{}\n');
  const c = await runCli(['flow', crash, '--plugins', plugins, '--batch', join(dir, 'one.jsonl'), '--out', join(dir, 'crash.jsonl'), '--json']);
  assert.is(c.code, 1);
  const [rec] = readFileSync(join(dir, 'crash.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; retried?: number; error: { code: string; attempts?: { code: string }[] } });
  assert.is(rec!.ok, false);
  assert.is(rec!.error.code, 'trap');
  assert.equal(rec!.error.attempts?.map((a) => a.code), ['trap', 'trap']);
  assert.is(rec!.retried, 1);
  const cs = JSON.parse(c.stdout.trim().split('\n')[0]!) as { failed: number; retried: number };
  assert.is(cs.failed, 1);
  assert.is(cs.retried, 1);
});

test('the demo batch (review-report.yaml, four languages) over 3,000 reviews: 0 failed', async () => {
  const dir = tempDir();
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins);
  for (const name of ['sentiment-analyzer', 'word-counter', 'json-transformer', 'c-word-stats']) copyFileSync(await built(`examples/${name}`), join(plugins, `${name}.wasm`));
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const r = REVIEWS[i % REVIEWS.length]!;
    lines.push(JSON.stringify({ ...r, id: `${r.id}-${i}`, text: i % 7 === 0 ? `${r.text} Really.` : r.text }));
  }
  writeFileSync(join(dir, 'reviews.jsonl'), `${lines.join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['flow', join(ROOT, 'examples/workflows/review-report.yaml'), '--plugins', plugins, '--batch', join(dir, 'reviews.jsonl'), '--out', out, '--concurrency', '2', '--json']);
  assert.is(r.code, 0, r.stderr.slice(0, 2000));
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; ok: boolean; output?: Record<string, unknown> });
  assert.is(records.length, 3000);
  assert.equal(records.filter((x) => !x.ok), []);
  assert.equal(records.map((x) => x.line), lines.map((_, i) => i + 1));
  assert.is(typeof records[2999]!.output?.['review.sentiment'], 'string');
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: number; failed: number };
  assert.is(summary.ok, 3000);
  assert.is(summary.failed, 0);
});

test.run();
