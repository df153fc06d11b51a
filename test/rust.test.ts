/**
 * Rust plugins, built for real with Debian's cargo/rustc (wasm32-unknown-unknown) and the
 * pocket-plugin SDK whose canonical-ABI glue pocket-wit generates from wit/: examples/word-counter
 * reproduces the reference word counter, runs in a workflow, logs through the host, imports no
 * WASI; the bench-rust fixture builds with the same builder; the generator's layouts and
 * `--check`; the errors for a missing toolchain and an older world.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { buildPlugin, type BuildResult } from '../tools/build/build.js';
import { buildRust } from '../tools/build/languages/rust.js';
import { readProject } from '../tools/build/project.js';
import { TOOLS } from '../tools/build/toolchains.js';
import { silentSteps } from '../tools/ui/steps.js';
import { RustGenerator, generateRust } from '../tools/wit/gen-rust.js';
import { loadWitPath, parseWitSource } from '../tools/wit/load.js';
import { builtinNodeTypes, Flow, loadPlugin, NodeRegistry, PluginError, witDir, type Plugin } from '../host/src/index.js';
import { CACHE_DIR, recordingSink, ROOT, tempDir } from './helpers.js';

const log = recordingSink();
let example: BuildResult;
let plugin: Plugin;
let buildMs = 0;

interface Counts {
  total_words: number;
  unique_words: number;
  word_frequencies: Record<string, number>;
  average_word_length: number;
  longest_word: string;
  shortest_word: string;
}

test.before(async () => {
  const t0 = Date.now();
  example = await buildPlugin(join(ROOT, 'examples/word-counter'), { out: join(tempDir('pocket-wit-rust-'), 'word-counter.wasm') });
  buildMs = Date.now() - t0;
  plugin = await loadPlugin(example.out, { cacheDir: CACHE_DIR, log: log.sink });
});
test.after(async () => plugin?.close());

const count = async (input: Record<string, unknown>, config?: Record<string, unknown>) =>
  plugin.runNode('word-count', { input, ...(config ? { config } : {}) });

/** `n` distinct words, none of them a stop word. */
const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

test('builds a small component from Rust (engine rust, world 0.2.1)', () => {
  assert.is(example.engine, 'rust');
  assert.is(example.witVersion, '0.2.1');
  assert.ok(example.bytes.length < 400 * 1024, `component is ${example.bytes.length} bytes`);
  console.log(`    word-counter: ${Math.round(example.bytes.length / 1024)} KB component, built in ${(buildMs / 1000).toFixed(1)} s`);
});

test('metadata: name, version, node word-count (text), 5MB / 3s, config defaults, manifest example', () => {
  const m = plugin.metadata;
  assert.is(m.name, 'word-counter');
  assert.is(m.version, '1.0.0');
  assert.is(m.description, 'Word counting and analysis plugin for Pocket');
  assert.is(m.author, 'Pocket Team');
  assert.is(m.license, 'MIT');
  assert.is(m.world, 'pocket:plugin@0.2.1');
  assert.equal(m.permissions, { memory: '5MB', timeout: '3s' });
  assert.equal(m.nodes.map((n) => n.type), ['word-count']);
  const node = plugin.node('word-count')!;
  assert.is(node.category, 'text');
  assert.is(node.description, 'Count words and analyze text statistics');
  const props = (node.configSchema as { properties: Record<string, { default: unknown }> }).properties;
  assert.is(props.min_word_length!.default, 1);
  assert.equal(props.stop_words!.default, 'a an and are as at be by for from has he in is it its of on that the to was will with'.split(' '));
  assert.equal((node.inputSchema as { required: string[] }).required, ['text']);
  assert.equal(node.examples.map((e) => e.name), ['short-text']);
});

test('the manifest example holds: "A big dog and a small cat!"', async () => {
  const ex = plugin.node('word-count')!.examples[0]!;
  const r = await count(ex.input as Record<string, unknown>);
  assert.equal(r.output, ex.output);
  assert.is(r.next, 'short');
  // First-seen order of the frequencies, as in the reference output.
  assert.equal(Object.keys((r.output as Counts).word_frequencies), ['big', 'dog', 'small', 'cat']);
});

test('routes: empty (0 words), short (< 100), medium (< 1000), long', async () => {
  assert.is((await count({ text: '' })).next, 'empty');
  assert.is((await count({ text: '!!! ... ---' })).next, 'empty');
  assert.is((await count({ text: 'the a an of' })).next, 'empty'); // only stop words
  assert.is((await count({ text: words(1) })).next, 'short');
  assert.is((await count({ text: words(99) })).next, 'short');
  assert.is((await count({ text: words(100) })).next, 'medium');
  assert.is((await count({ text: words(999) })).next, 'medium');
  assert.is((await count({ text: words(1000) })).next, 'long');
  const long = await count({ text: words(5000) });
  assert.is(long.next, 'long');
  assert.is((long.output as Counts).total_words, 5000);
});

test('exact output: punctuation, case folding, repeated words, average rounded to 2 decimals', async () => {
  const r = await count({ text: "Hello, world! The world's HELLO again... and again; hello?" });
  assert.equal(r.output, {
    total_words: 8,
    unique_words: 4,
    word_frequencies: { hello: 3, world: 2, s: 1, again: 2 },
    // "s" (from "world's") is a word: 5*3 + 5*2 + 1 + 5*2 = 36 chars / 8 words.
    average_word_length: 4.5,
    longest_word: 'hello',
    shortest_word: 's',
  });
  assert.is(r.next, 'short');
  assert.equal((await count({ text: 'Rust-lang is fast: rust is safe.' })).output, {
    total_words: 5,
    unique_words: 4,
    word_frequencies: { rust: 2, lang: 1, fast: 1, safe: 1 },
    average_word_length: 4,
    longest_word: 'rust',
    shortest_word: 'rust',
  });
  // 8 chars / 3 words = 2.666… → 2.67
  assert.is(((await count({ text: 'aa bbb ccc' })).output as Counts).average_word_length, 2.67);
});

test('exact output: empty text has average 0 and empty longest/shortest; ties keep the first word seen', async () => {
  assert.equal((await count({ text: '' })).output, {
    total_words: 0,
    unique_words: 0,
    word_frequencies: {},
    average_word_length: 0,
    longest_word: '',
    shortest_word: '',
  });
  const tie = (await count({ text: 'cat dog emu zebra horse' })).output as Counts;
  assert.is(tie.longest_word, 'zebra');
  assert.is(tie.shortest_word, 'cat');
  assert.is(tie.average_word_length, 3.8);
  // Unicode letters and digits are alphanumeric; length is counted in characters.
  const uni = (await count({ text: 'Ünïcödé café 42 naïve' })).output as Counts;
  assert.equal(uni.word_frequencies, { ünïcödé: 1, café: 1, '42': 1, naïve: 1 });
  assert.is(uni.longest_word, 'ünïcödé');
  assert.is(uni.shortest_word, '42');
  assert.is(uni.average_word_length, 4.5);
});

test('config: min_word_length drops short words; stop_words replaces the default list', async () => {
  const text = 'A big dog and a small cat!';
  const min4 = (await count({ text }, { min_word_length: 4 })).output as Counts;
  assert.equal(min4.word_frequencies, { small: 1 });
  assert.is(min4.total_words, 1);
  const noStop = (await count({ text }, { stop_words: [] })).output as Counts;
  assert.equal(noStop.word_frequencies, { a: 2, big: 1, dog: 1, and: 1, small: 1, cat: 1 });
  assert.is(noStop.total_words, 7);
  assert.is(noStop.shortest_word, 'a');
  const custom = (await count({ text }, { stop_words: ['DOG', 'cat'] })).output as Counts;
  assert.equal(custom.word_frequencies, { a: 2, big: 1, and: 1, small: 1 });
  // Both together; the other default still applies when only one is given.
  const both = (await count({ text }, { min_word_length: 3, stop_words: ['big'] })).output as Counts;
  assert.equal(both.word_frequencies, { dog: 1, and: 1, small: 1, cat: 1 });
});

test('input case_sensitive: words keep their case; stop words still match regardless of case', async () => {
  const text = 'Apple apple APPLE The banana';
  const folded = (await count({ text })).output as Counts;
  assert.equal(folded.word_frequencies, { apple: 3, banana: 1 });
  const sensitive = (await count({ text, case_sensitive: true })).output as Counts;
  assert.equal(sensitive.word_frequencies, { Apple: 1, apple: 1, APPLE: 1, banana: 1 });
  assert.is(sensitive.unique_words, 4);
  assert.is(((await count({ text, case_sensitive: false })).output as Counts).unique_words, 2);
});

test('invalid input and config are invalid-input errors naming the field, never traps', async () => {
  const code = async (input: unknown, config?: Record<string, unknown>): Promise<[string, string]> => {
    try {
      await plugin.runNode('word-count', { input, ...(config ? { config } : {}) });
    } catch (err) {
      assert.instance(err, PluginError);
      return [(err as PluginError).code, (err as PluginError).message];
    }
    assert.unreachable('expected an error');
    return ['', ''];
  };
  const [missing, msg] = await code({});
  assert.is(missing, 'invalid-input');
  assert.match(msg, /missing required field text/);
  const [notString, msg2] = await code({ text: 42 });
  assert.is(notString, 'invalid-input');
  assert.match(msg2, /^input\.text: must be string/); // the host validates the input, for every language
  assert.is((await code('just a string'))[0], 'invalid-input');
  assert.is((await code({ text: 'x' }, { min_word_length: 'two' }))[0], 'invalid-input');
  assert.match((await code({ text: 'x' }, { min_word_length: 0 }))[1], /^config\.min_word_length: must be >= 1/); // the schema's minimum, checked by the host
  assert.match((await code({ text: 'x' }, { stop_words: [1] }))[1], /config\.stop_words/);
  // An unknown node type is not-found from the SDK.
  try {
    await plugin.runNode('nope', { input: { text: 'x' } });
    assert.unreachable();
  } catch (err) {
    assert.is((err as PluginError).code, 'not-found');
    assert.match((err as PluginError).message, /word-count/);
  }
  // The instance still answers.
  assert.is((await count({ text: 'still alive' })).next, 'short');
});

test('the node stores nothing in the shared store', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  await plugin.runNode('word-count', { input: { text: 'hello there' }, store });
  assert.equal([...store.entries()], [['keep', 1]]);
});

test('log lines reach the host sink tagged with the plugin and node', async () => {
  log.records.length = 0;
  await count({ text: 'one two three' });
  const line = log.records.find((r) => r.message === 'counted 3 words (short)');
  assert.ok(line, JSON.stringify(log.records));
  assert.is(line!.level, 'info');
  assert.is(line!.plugin, 'word-counter');
});

test('the component imports no WASI: only pocket:plugin/host and types', async () => {
  const wit = await componentWit(example.bytes);
  const imports = wit.split('\n').filter((l) => /^\s*import /.test(l)).map((l) => l.trim());
  assert.equal(imports.sort(), ['import pocket:plugin/host@0.2.1;', 'import pocket:plugin/types@0.2.1;']);
  assert.ok(!/wasi/.test(wit), wit);
  assert.ok(wit.includes('export pocket:plugin/node@0.2.1;'));
});

test('runs inside a workflow, routing by its actions', async () => {
  const registry = new NodeRegistry(builtinNodeTypes());
  registry.addPlugin(plugin);
  const file = join(tempDir('pocket-wit-rust-flow-'), 'flow.yaml');
  writeFileSync(
    file,
    `
name: count-words
start: count
nodes:
  - { name: count, type: word-count, config: { min_word_length: 2 } }
  - { name: on-empty, type: echo }
  - { name: on-short, type: echo }
  - { name: on-medium, type: echo }
connections:
  - { from: count, to: on-empty, action: empty }
  - { from: count, to: on-short, action: short }
  - { from: count, to: on-medium, action: medium }
`,
  );
  const flow = Flow.load(file, registry);
  const short = await flow.run({ input: { text: 'I saw a big dog' } });
  assert.equal(short.path, ['count', 'on-short']);
  assert.equal((short.output as Counts).word_frequencies, { saw: 1, big: 1, dog: 1 });
  assert.equal((await flow.run({ input: { text: '?!' } })).path, ['count', 'on-empty']);
  assert.equal((await flow.run({ input: { text: words(150) } })).path, ['count', 'on-medium']);
});

test('bench-rust fixture: echo and word-count from the same builder', async () => {
  const r = await buildPlugin(join(ROOT, 'test/fixtures/bench-rust'), { out: join(tempDir('pocket-wit-rust-bench-'), 'bench-rust.wasm') });
  const bench = await loadPlugin(r.out, { cacheDir: CACHE_DIR, log: log.sink });
  try {
    assert.equal(bench.metadata.nodes.map((n) => n.type), ['echo', 'word-count']);
    const input = { a: [1, 2, { b: 'ü' }], c: null, d: 'text' };
    assert.equal(await bench.runNode('echo', { input }), { output: input, next: 'default' });
    const text = 'A big dog and a small cat!';
    const ours = await bench.runNode('word-count', { input: { text } });
    assert.equal(ours, await count({ text }));
    assert.equal(await bench.runNode('word-count', { input: { text: words(120) } }), await count({ text: words(120) }));
  } finally {
    await bench.close();
  }
});

// ---- the generator ---------------------------------------------------------------------------

test('gen-rust --check: the committed bindings.rs matches wit/', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/gen-rust.ts'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /up to date/);
});

test('gen-rust: sizes, alignments and flat types come from the model', async () => {
  const gen = new RustGenerator(await loadWitPath(witDir('0.2.1')), { world: 'plugin' });
  const named = (iface: string, name: string) =>
    ({ kind: 'named', ref: { owner: { package: { namespace: 'pocket', name: 'plugin', version: '0.2.1' }, interface: iface }, name } }) as const;
  assert.equal(gen.sizeAlign(named('types', 'node-error')), [24, 4]);
  assert.equal(gen.sizeAlign({ kind: 'result', ok: named('types', 'json'), err: named('types', 'node-error') }), [28, 4]);
  assert.equal(gen.sizeAlign(named('types', 'node-example')), [48, 4]);
  assert.equal(gen.sizeAlign(named('types', 'node-definition')), [68, 4]);
  assert.equal(gen.sizeAlign(named('types', 'plugin-metadata')), [104, 4]);
  assert.equal(gen.flat({ kind: 'option', inner: named('types', 'json') }), ['i32', 'i32', 'i32']);
  assert.equal(gen.flat(named('host', 'log-level')), ['i32']);
  assert.equal(gen.flat({ kind: 'primitive', name: 'u64' }), ['i64']);

  // Other shapes: variants join their flat types, u64 aligns to 8.
  const other = parseWitSource(`package t:x@1.0.0;
interface i {
  record r { a: u8, b: u64, c: bool }
  variant v { none, small(u32), big(u64), real(f32), text(string) }
  f: func(x: v, y: r, z: tuple<s16, char>, w: list<string>) -> result<list<r>, v>;
  g: func(x: v, y: option<u64>) -> option<f64>;
}
world w { import i; export i; }`);
  const g2 = new RustGenerator(other, { world: 'w' });
  const ref = (name: string) => ({ kind: 'named', ref: { owner: { package: { namespace: 't', name: 'x', version: '1.0.0' }, interface: 'i' }, name } }) as const;
  assert.equal(g2.sizeAlign(ref('r')), [24, 8]);
  assert.equal(g2.sizeAlign(ref('v')), [16, 8]);
  assert.equal(g2.flat(ref('v')), ['i32', 'i64', 'i32']);
  assert.equal(g2.flat(ref('r')), ['i32', 'i64', 'i32']);
  // Imports with list parameters are refused clearly; the export side generates.
  try {
    generateRust(other, { world: 'w' });
    assert.unreachable('list parameter of an import');
  } catch (err) {
    assert.is((err as PluginError).code, 'invalid-wit');
    assert.match((err as PluginError).message, /list parameter of an imported function/);
  }
  const flags = parseWitSource(`package t:y;
interface i { flags f { a, b } h: func(x: f); }
world w { export i; }`);
  assert.throws(() => generateRust(flags, { world: 'w' }), /flags type "f" is not supported/);
});

// ---- builder errors --------------------------------------------------------------------------

test('a missing Rust toolchain is build-failed naming the Debian packages', async () => {
  const project = readProject(join(ROOT, 'examples/word-counter'));
  const missing = { ...TOOLS.cargo, candidates: ['/nonexistent/bin/cargo'] };
  try {
    await buildRust(project, { witVersion: '0.2.1', steps: silentSteps }, { cargo: missing });
    assert.unreachable('expected build-failed');
  } catch (err) {
    assert.is((err as PluginError).code, 'build-failed');
    const msg = (err as PluginError).message;
    assert.match(msg, /not installed/);
    assert.match(msg, /apt-get install rustc cargo libstd-rust-dev-wasm32 librust-serde-json-dev/);
    assert.match(msg, /scripts\/install-toolchains\.sh/);
  }
  try {
    await buildRust(project, { witVersion: '0.2.1', steps: silentSteps }, { registry: '/nonexistent/registry' });
    assert.unreachable('expected build-failed');
  } catch (err) {
    assert.is((err as PluginError).code, 'build-failed');
    assert.match((err as PluginError).message, /librust-serde-json-dev/);
  }
});

test('Rust plugins target the newest world only: --wit-version 0.1.0 is a clear build-failed', async () => {
  try {
    await buildPlugin(join(ROOT, 'examples/word-counter'), { witVersion: '0.1.0', out: join(tempDir('pocket-wit-rust-old-'), 'x.wasm') });
    assert.unreachable('expected build-failed');
  } catch (err) {
    assert.is((err as PluginError).code, 'build-failed');
    assert.match((err as PluginError).message, /Rust plugins are built for pocket:plugin@0\.2\.1 only/);
  }
});

test.run();
