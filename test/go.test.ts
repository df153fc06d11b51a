/**
 * Go plugins end to end: the json-transformer example and the bench-go fixture built with the
 * real `buildPlugin` (Go 1.23, GOOS=wasip1, wrapped as a wasi:cli/run command), loaded with
 * `loadPlugin` (a long-lived instance in a worker, driven over stdin/stdout), run alone and in a
 * workflow: metadata, every operation, routes, errors, the host API, a panic and recovery.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { buildPlugin } from '../tools/build/build.js';
import { builtinNodeTypes, Flow, loadPlugin, NodeRegistry, readComponent, silentLogSink, type Plugin } from '../host/src/index.js';
import { CACHE_DIR, ROOT, recordingSink, tempDir, expectError } from './helpers.js';

const dir = tempDir('pocket-wit-go-');
let jt: Plugin;
let bench: Plugin;
let jtFile: string;


test.before(async () => {
  const [a, b] = await Promise.all([
    buildPlugin(join(ROOT, 'examples/json-transformer'), { out: join(dir, 'json-transformer.wasm') }),
    buildPlugin(join(ROOT, 'test/fixtures/bench-go'), { out: join(dir, 'bench-go.wasm') }),
  ]);
  assert.is(a.engine, 'go');
  jtFile = a.out;
  jt = await loadPlugin(a.out, { cacheDir: CACHE_DIR, log: silentLogSink });
  bench = await loadPlugin(b.out, { cacheDir: CACHE_DIR, log: silentLogSink });
});

test.after(async () => {
  await jt?.close();
  await bench?.close();
});

const run = (input: unknown, config?: Record<string, unknown>) => jt.runNode('json-transform', { input, ...(config ? { config } : {}) });

test('the built component: a command of pocket:plugin/command, with its manifest and nodes stamped in', async () => {
  const c = await readComponent(jtFile);
  assert.is(c.section?.world, 'pocket:plugin/command@0.2.1');
  assert.is(c.section?.engine, 'go');
  assert.equal(c.section?.nodes?.map((n) => n.type), ['json-transform']);
  assert.is(jt.source.engine, 'go');
  assert.is(jt.source.worldVersion, '0.2.1');
});

test('metadata: identity, node definition with schemas and examples, permissions', () => {
  const m = jt.metadata;
  assert.is(m.name, 'json-transformer');
  assert.is(m.version, '1.0.0');
  assert.is(m.description, 'JSON data transformation with multiple operations');
  assert.is(m.author, 'Pocket Team');
  assert.is(m.license, 'MIT');
  assert.is(m.world, 'pocket:plugin@0.2.1');
  assert.equal(m.permissions, { memory: '32MB', timeout: '5s' });
  assert.is(m.nodes.length, 1);
  const n = m.nodes[0]!;
  assert.is(n.type, 'json-transform');
  assert.is(n.category, 'data');
  assert.equal((n.inputSchema as { required: string[] }).required, ['data', 'transform']);
  assert.ok(n.configSchema);
  assert.equal(n.examples.map((e) => e.name), ['flatten', 'drop-secrets']);
  assert.equal(bench.nodeTypes, ['echo', 'word-count', 'host-api', 'crash']);
});

test('the manifest examples produce their declared outputs', async () => {
  for (const ex of jt.metadata.nodes[0]!.examples) {
    const r = await run(ex.input, ex.config as Record<string, unknown> | undefined);
    assert.equal(r.output, ex.output, ex.name);
  }
});

test('flatten: default separator ".", arrays as key[i], a configured separator', async () => {
  const data = { user: { name: 'ada', tags: ['x', { k: 1 }] }, top: true };
  let r = await run({ data, transform: 'flatten' });
  assert.equal(r.output, { result: { 'user.name': 'ada', 'user.tags[0]': 'x', 'user.tags[1].k': 1, top: true }, metadata: { operation: 'flatten', changes: 3 } });
  assert.is(r.next, 'some-changes');
  r = await run({ data, transform: 'flat' }, { transforms: { flat: { type: 'flatten', parameters: { separator: '_' } } } });
  assert.equal((r.output as { result: unknown }).result, { user_name: 'ada', 'user_tags[0]': 'x', 'user_tags[1]_k': 1, top: true });
  r = await run({ data: { a: 1, b: 'x' }, transform: 'flatten' });
  assert.equal(r.output, { result: { a: 1, b: 'x' }, metadata: { operation: 'flatten', changes: 0 } });
  assert.is(r.next, 'no-changes');
});

test('nest: the inverse of flatten, with arrays and a configured separator', async () => {
  const data = { user: { name: 'ada', tags: ['x', { k: 1 }] }, top: true };
  const flat = (await run({ data, transform: 'flatten' })).output as { result: Record<string, unknown> };
  const r = await run({ data: flat.result, transform: 'nest' });
  assert.equal(r.output, { result: data, metadata: { operation: 'nest', changes: 3 } });
  const r2 = await run({ data: { a_b: 1, a_c: 2, d: 3 }, transform: 'n' }, { transforms: { n: { type: 'nest', parameters: { separator: '_' } } } });
  assert.equal(r2.output, { result: { a: { b: 1, c: 2 }, d: 3 }, metadata: { operation: 'nest', changes: 2 } });
  await expectError(run({ data: [1], transform: 'nest' }), 'invalid-input', /nest needs an object/);
});

test('filter: keep only fields, or drop them with exclude', async () => {
  const data = { user: 'ada', password: 'x', api_key: 'y', age: 36 };
  const keep = await run({ data, transform: 'f' }, { transforms: { f: { type: 'filter', parameters: { fields: ['user', 'age'] } } } });
  assert.equal(keep.output, { result: { user: 'ada', age: 36 }, metadata: { operation: 'filter', changes: 2 } });
  const drop = await run({ data, transform: 'f' }, { transforms: { f: { type: 'filter', parameters: { fields: ['password'], exclude: true } } } });
  assert.equal(drop.output, { result: { user: 'ada', api_key: 'y', age: 36 }, metadata: { operation: 'filter', changes: 1 } });
  const none = await run({ data, transform: 'f' }, { transforms: { f: { type: 'filter', parameters: { fields: ['nope'], exclude: true } } } });
  assert.is(none.next, 'no-changes');
});

test('map (built-in uppercase): every string value, keys unchanged', async () => {
  const r = await run({ data: { name: 'ada', list: ['a', 'B', 3, null], deep: { s: 'x' } }, transform: 'uppercase' });
  assert.equal(r.output, { result: { name: 'ADA', list: ['A', 'B', 3, null], deep: { s: 'X' } }, metadata: { operation: 'map', changes: 3 } });
});

test('reduce (built-in count): total_elements and type', async () => {
  let r = await run({ data: [1, 2, 3], transform: 'count' });
  assert.equal(r.output, { result: { total_elements: 3, type: 'array' }, metadata: { operation: 'reduce', changes: 3 } });
  r = await run({ data: { a: 1, b: 2 }, transform: 'count' });
  assert.equal((r.output as { result: unknown }).result, { total_elements: 2, type: 'object' });
  r = await run({ data: [], transform: 'count' });
  assert.is(r.next, 'no-changes');
});

test('routes: no-changes, some-changes, many-changes (more than 100)', async () => {
  assert.is((await run({ data: {}, transform: 'flatten' })).next, 'no-changes');
  assert.is((await run({ data: Array.from({ length: 100 }, (_, i) => i), transform: 'count' })).next, 'some-changes');
  assert.is((await run({ data: Array.from({ length: 101 }, (_, i) => i), transform: 'count' })).next, 'many-changes');
  const words = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, 'v']));
  assert.is((await run({ data: words, transform: 'uppercase' })).next, 'many-changes');
});

test('a configured transforms map replaces the built-ins', async () => {
  const config = { transforms: { shout: { type: 'map' } } };
  const r = await run({ data: 'hi', transform: 'shout' }, config);
  assert.equal(r.output, { result: 'HI', metadata: { operation: 'map', changes: 1 } });
  const e = await expectError(run({ data: {}, transform: 'flatten' }, config), 'invalid-input', /unknown transform "flatten"; available: shout/);
  assert.equal((e.details as { available: string[] }).available, ['shout']);
});

test('errors: unknown transform lists the built-ins; missing data; bad config; codes are preserved', async () => {
  const e = await expectError(run({ data: {}, transform: 'nope' }), 'invalid-input', /unknown transform "nope"; available: count, flatten, nest, uppercase/);
  assert.equal(e.details, { field: 'transform', transform: 'nope', available: ['count', 'flatten', 'nest', 'uppercase'] });
  assert.is(e.context?.phase, 'prep');
  // The host checks the manifest's input schema before the plugin runs.
  await expectError(run({ transform: 'flatten' }), 'invalid-input', /^input: missing required field data$/);
  await expectError(run({ data: 1 }), 'invalid-input', /^input: missing required field transform$/);
  await expectError(run({ data: 1, transform: 'x' }, { transforms: { x: { type: 'explode' } } }), 'invalid-input', /must be one of flatten/);
  await expectError(jt.runNode('no-such-node', { input: {} }), 'not-found');
});

test('bench-go: echo and word-count (the reference algorithm, routes, config defaults)', async () => {
  const input = { nested: { list: [1, 'two', null, true] }, s: 'é✓' };
  const echo = await bench.runNode('echo', { input });
  assert.equal(echo, { output: input, next: 'default' });
  const wc = await bench.runNode('word-count', { input: { text: 'The quick brown fox, the lazy dog! A fox.' } });
  assert.equal(wc.output, {
    total_words: 6,
    unique_words: 5,
    word_frequencies: { quick: 1, brown: 1, fox: 2, lazy: 1, dog: 1 },
    average_word_length: 3.83,
    longest_word: 'quick',
    shortest_word: 'fox',
  });
  assert.is(wc.next, 'short');
  const cs = await bench.runNode('word-count', { input: { text: 'Go go GO the', case_sensitive: true }, config: { min_word_length: 2, stop_words: ['go'] } });
  assert.equal((cs.output as { total_words: number }).total_words, 1);
  assert.equal((await bench.runNode('word-count', { input: { text: '...' } })).next, 'empty');
  const many = await bench.runNode('word-count', { input: { text: 'word '.repeat(150) } });
  assert.is(many.next, 'medium');
  const ex = bench.node('word-count')!.examples[0]!;
  assert.equal((await bench.runNode('word-count', { input: ex.input })).output, ex.output);
  assert.equal((bench.node('word-count')!.configSchema as { properties: { min_word_length: { default: number } } }).properties.min_word_length.default, 1);
});

test('the host API: shared store (read-only in exec), structured logs, stderr as warnings, clock, cancellation', async () => {
  const { sink, records } = recordingSink();
  const store = new Map<string, unknown>([['counter', 41]]);
  const r = await bench.runNode('host-api', { input: { x: 1 }, store, log: sink, now: () => 1_700_000_000_123, cancelled: () => true });
  assert.is(r.next, 'done');
  const out = r.output as Record<string, unknown>;
  assert.equal(out.prep, { found: true, before: 41 });
  assert.match(String(out.setInExec), /permission-denied: exec must not write the shared store \(it may be retried\): write it in prep or post/);
  assert.equal(out.greeting, { text: 'hello from Go', input: { x: 1 } });
  assert.is(out.now, 1_700_000_000_123);
  assert.is(out.cancelled, true);
  assert.is(out.deleted, true);
  assert.is(out.deletedAgain, false);
  assert.equal([...store.entries()], [['counter', 42]]);
  const info = records.find((l) => l.message === 'prep ran');
  assert.equal(info, { level: 'info', message: 'prep ran', plugin: 'bench-go', node: 'host-api', fields: { counter: 42 } });
  assert.ok(records.find((l) => l.level === 'warn' && l.message === 'a warning' && l.fields === undefined));
  // fmt.Println goes to stderr (stdout carries the protocol); stderr lines are logged as warnings.
  assert.ok(records.find((l) => l.level === 'warn' && l.message === 'printed to stdout' && l.plugin === 'bench-go'));
  assert.ok(records.find((l) => l.level === 'warn' && l.message === 'written to stderr'));
  const second = await bench.runNode('host-api', { input: null, store: new Map(), log: silentLogSink });
  assert.equal((second.output as { prep: unknown }).prep, { found: false, before: null });
});

test('a panic fails the call with trap and the panic text; the next call gets a fresh instance', async () => {
  const { sink, records } = recordingSink();
  const e = await expectError(bench.runNode('crash', { input: 'boom-42', log: sink }), 'trap', /trapped/);
  assert.match(e.message, /panic: crash node: boom-42/);
  assert.match(e.message, /bench-go\/crash \(exec\)/);
  assert.ok(records.some((r) => r.message.includes('panic: crash node: boom-42')));
  const after = await bench.runNode('echo', { input: 'still here' });
  assert.equal(after.output, 'still here');
  // And a second panic, back to back.
  await expectError(bench.runNode('crash', { input: 'again' }), 'trap', /panic: crash node: again/);
  assert.equal((await bench.runNode('echo', { input: 1 })).output, 1);
});

test('large messages cross the 4 KB stdout chunks intact', async () => {
  const big = { text: 'x'.repeat(300_000), list: Array.from({ length: 5000 }, (_, i) => ({ i, s: `v${i}` })) };
  const r = await bench.runNode('echo', { input: big });
  assert.equal(r.output, big);
});

test('sandbox: a Go plugin over its memory cap fails with memory-limit; a fresh worker serves the next call', async () => {
  const file = bench.source.source;
  const capped = await loadPlugin(file, { cacheDir: CACHE_DIR, log: silentLogSink, permissions: { memory: '32MB' } });
  try {
    assert.is(capped.permissions?.memoryBytes, 32 * 1024 * 1024);
    await expectError(capped.runNode('echo', { input: { text: 'y'.repeat(8_000_000) } }), 'memory-limit', /bench-go\/echo \(prep\) ran out of memory/);
    assert.equal((await capped.runNode('echo', { input: 'small' })).output, 'small');
  } finally {
    await capped.close();
  }
});

test('concurrent calls are served one at a time on the instance', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => bench.runNode('echo', { input: i })));
  assert.equal(results.map((r) => r.output), Array.from({ length: 20 }, (_, i) => i));
});

test('warm calls: 200 sequential runs complete', async () => {
  for (let i = 0; i < 200; i++) {
    const r = await bench.prep('echo', { i });
    assert.equal(r, { i });
  }
  for (let i = 0; i < 20; i++) await run({ data: { a: { b: i } }, transform: 'flatten' });
});

test('in a workflow: a Go plugin node routes by its action and shares the store', async () => {
  const registry = new NodeRegistry(builtinNodeTypes().filter((t) => t.type !== 'echo'));
  registry.addPlugin(jt);
  registry.addPlugin(bench);
  const file = join(dir, 'flows', 'go.yaml');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    `
name: go-flow
start: flat
nodes:
  - name: flat
    type: json-transform
  - name: probe
    type: host-api
  - name: count
    type: word-count
connections:
  - { from: flat, to: probe, action: some-changes }
  - { from: flat, to: count, action: no-changes }
`,
  );
  const flow = Flow.load(file, registry);
  const r = await flow.run({ input: { data: { a: { b: 1 } }, transform: 'flatten' }, store: new Map([['counter', 1]]) });
  assert.equal(r.path, ['flat', 'probe']);
  assert.is(r.action, 'done');
  assert.equal(r.store, { counter: 2 });
  assert.equal((r.output as { greeting: { input: unknown } }).greeting.input, { result: { 'a.b': 1 }, metadata: { operation: 'flatten', changes: 1 } });
  await assert.not.throws(() => flow);
});

test('an idle Go plugin that is never closed does not keep the process alive', async () => {
  const script = join(dir, 'no-close.mts');
  writeFileSync(
    script,
    `import { loadPlugin, silentLogSink } from ${JSON.stringify(pathToFileURL(join(ROOT, 'host/src/index.ts')).href)};
const p = await loadPlugin(${JSON.stringify(jtFile)}, { cacheDir: ${JSON.stringify(CACHE_DIR)}, log: silentLogSink });
const r = await p.runNode('json-transform', { input: { data: [1, 2], transform: 'count' } });
console.log(r.next);
setTimeout(async () => console.log((await p.runNode('json-transform', { input: { data: [], transform: 'count' } })).next), 20);
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, 'the process had to be killed: something kept it alive');
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['some-changes', 'no-changes']);
});

test('close terminates the workers; later calls fail', async () => {
  const p = await loadPlugin(jtFile, { cacheDir: CACHE_DIR, log: silentLogSink });
  assert.equal((await p.runNode('json-transform', { input: { data: [1], transform: 'count' } })).next, 'some-changes');
  await p.close();
  await expectError(p.runNode('json-transform', { input: { data: [], transform: 'count' } }), 'plugin-error', /closed/);
});

test.run();
