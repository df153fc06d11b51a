/**
 * C plugins: the c-word-stats example and the bench-c fixture (Makefile) built with the real
 * `buildPlugin` (clang-14) and run through the real host and workflow engine; the hand-written
 * canonical-ABI glue of guest-sdk/c checked against wit/v0.2.1 (core signatures of the compiled
 * module, struct layouts); build errors; WASI through wasi-libc (printf) builds with the reactor
 * adapter, and a plugin without it stays WASI-free.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readLeb as leb, readWasmName } from '../host/src/component-sections.js';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { componentWit } from '@bytecodealliance/jco';
import { buildPlugin, type BuildResult } from '../tools/build/build.js';
import { buildC, C_LDFLAGS, cFlags, cSdkDir, manifestSource } from '../tools/build/languages/c.js';
import { readProject } from '../tools/build/project.js';
import { silentSteps } from '../tools/ui/steps.js';
import { loadWitPath } from '../tools/wit/load.js';
import { coreSignature, fieldOffsets, layout, payloadOffset, type CoreSignature, type CoreType } from '../tools/wit/flatten.js';
import type { Func, WitResolve, WitType } from '../tools/wit/model.js';
import { CallHost, inProcessRunner, sharedEngine, readComponent, transpileComponent, Flow, isPluginError, loadPlugin, NodeRegistry, builtinNodeTypes, readManifest, PluginError, resolvePolicy, type Plugin } from '../host/src/index.js';
import { CACHE_DIR, recordingSink, ROOT, tempDir } from './helpers.js';

const CLANG = '/usr/bin/clang-14';
const sinkRec = recordingSink();
let example: BuildResult;
let plugin: Plugin;
let bench: BuildResult;
let benchPlugin: Plugin;
const timings: string[] = [];

test.before(async () => {
  let t = Date.now();
  example = await buildPlugin(join(ROOT, 'examples/c-word-stats'), { out: join(tempDir('pocket-wit-c-'), 'c-word-stats.wasm') });
  timings.push(`c-word-stats: ${example.bytes.length} bytes in ${Date.now() - t} ms`);
  t = Date.now();
  bench = await buildPlugin(join(ROOT, 'test/fixtures/bench-c'), { out: join(tempDir('pocket-wit-c-'), 'bench-c.wasm') });
  timings.push(`bench-c (make): ${bench.bytes.length} bytes in ${Date.now() - t} ms`);
  plugin = await loadPlugin(example.out, { cacheDir: CACHE_DIR, log: sinkRec.sink });
  benchPlugin = await loadPlugin(bench.out, { cacheDir: CACHE_DIR });
});

test.after(async () => {
  await plugin?.close();
  await benchPlugin?.close();
  if (process.env.POCKET_WIT_TIMINGS) console.log(timings.join('\n'));
});

async function failure(p: Promise<unknown>): Promise<PluginError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isPluginError(err), String(err));
    return err as PluginError;
  }
  assert.unreachable('expected a failure');
  throw new Error();
}

// ---- c-word-stats through the host ----

test('metadata reports the manifest identity, the node, its schemas, examples and permissions', () => {
  const m = plugin.metadata;
  assert.is(m.name, 'c-word-stats');
  assert.is(m.version, '1.0.0');
  assert.is(m.description, 'Word, character and line counts, written in C against the pocket:plugin ABI');
  assert.is(m.author, 'Pocket Team');
  assert.is(m.license, 'MIT');
  assert.is(m.world, 'pocket:plugin@0.2.1');
  assert.equal(m.permissions, { memory: '4MB', timeout: '2s' });
  assert.equal(plugin.nodeTypes, ['word-stats']);
  const node = plugin.node('word-stats')!;
  assert.is(node.category, 'text');
  assert.equal(node.inputSchema, { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] });
  assert.equal(node.examples, [{ name: 'two-lines', description: 'Two lines, three words', input: { text: 'hello world\nbye' }, output: { words: 3, characters: 15, lines: 2 } }]);
  assert.is(plugin.source.engine, 'c');
});

test('each phase on its own: prep normalizes the input, exec counts, post routes', async () => {
  const prep = await plugin.prep('word-stats', { text: 'a b', extra: [1, { x: '}' }] });
  assert.equal(prep, { text: 'a b' });
  const exec = await plugin.exec('word-stats', prep);
  assert.equal(exec, { words: 2, characters: 3, lines: 1 });
  const post = await plugin.post('word-stats', { text: 'a b' }, prep, exec);
  assert.equal(post, { output: exec, next: 'default' });
});

test('exact outputs, escapes and unicode included', async () => {
  const cases: [string, { words: number; characters: number; lines: number }][] = [
    ['hello world\nbye', { words: 3, characters: 15, lines: 2 }],
    ['  many   spaces\there  ', { words: 3, characters: 22, lines: 1 }],
    ['"quoted" \\ back\\slash', { words: 3, characters: 21, lines: 1 }],
    ['héllo wörld — ünïcödé 😀', { words: 5, characters: 23, lines: 1 }],
    ['line1\r\nline2\n\nline4\n', { words: 3, characters: 20, lines: 5 }],
    ['\u0001ctrl\u001f', { words: 1, characters: 6, lines: 1 }],
  ];
  for (const [text, expected] of cases) {
    const r = await plugin.runNode('word-stats', { input: { text } });
    assert.equal(r.output, expected, JSON.stringify(text));
    assert.is(r.next, 'default');
  }
  // \uXXXX escapes as the host never writes them: ASCII, BMP, a surrogate pair
  const prep = await plugin.exec('word-stats', JSON.parse('{"text":"\\u0041\\u00e9\\ud83d\\ude00 \\u0042"}'));
  assert.equal(prep, { words: 2, characters: 5, lines: 1 });
});

test('no words routes empty', async () => {
  for (const text of ['', '   \n\t ']) {
    const r = await plugin.runNode('word-stats', { input: { text } });
    assert.is(r.next, 'empty', JSON.stringify(text));
    assert.is((r.output as { words: number }).words, 0);
  }
});

test('invalid input: no text, text not a string, input not an object (the host checks the manifest\'s schema)', async () => {
  const cases: [unknown, string][] = [
    [{}, 'input: missing required field text'],
    [{ text: 3 }, 'input.text: must be string'],
    ['just a string', 'input: must be object'],
    [null, 'input: must be object'],
    [{ text: null }, 'input.text: must be string'],
  ];
  for (const [input, message] of cases) {
    const err = await failure(plugin.runNode('word-stats', { input }));
    assert.is(err.code, 'invalid-input', JSON.stringify(input));
    assert.is(err.message, message, JSON.stringify(input));
  }
});

test('an unknown node type is not-found from the SDK itself (below the host\'s own check)', async () => {
  const transpiled = await transpileComponent(await readComponent(example.bytes), { cacheDir: CACHE_DIR });
  const policy = resolvePolicy('c-word-stats', undefined, { baseDir: CACHE_DIR });
  const runner = await inProcessRunner(transpiled, { name: 'c-word-stats', policy, log: sinkRec.sink, engine: sharedEngine() });
  try {
    const host = new CallHost({ plugin: 'c-word-stats', node: 'nope', store: new Map(), log: sinkRec.sink }, 'exec');
    const err = await failure(runner.call('exec', ['nope', '{}', '{"text":"x"}'], host));
    assert.is(err.code, 'not-found');
    assert.match(err.message, /no node type "nope" in c-word-stats \(it offers: word-stats\)/);
  } finally {
    await runner.close();
  }
});

test('post writes the store and logs one info line to the host sink', async () => {
  sinkRec.records.length = 0;
  const store = new Map<string, unknown>([['other', 1]]);
  await plugin.runNode('word-stats', { input: { text: 'one two three' }, store });
  assert.equal([...store.entries()], [['other', 1], ['word-stats:last', 3]]);
  assert.equal(sinkRec.records, [
    { level: 'info', message: 'counted 3 words', plugin: 'c-word-stats', node: 'word-stats', fields: { words: 3, characters: 13, lines: 1 } },
  ]);
});

test('many large calls in a row on one instance', async () => {
  const text = 'word '.repeat(20_000);
  for (let i = 0; i < 60; i++) {
    const r = await plugin.runNode('word-stats', { input: { text } });
    assert.is((r.output as { words: number }).words, 20_000);
  }
});

test('the component imports no WASI: only pocket:plugin/host', async () => {
  const wit = await componentWit(example.bytes);
  const imports = wit.split('\n').filter((l) => /^\s*import /.test(l)).map((l) => l.trim());
  assert.equal(imports.sort(), ['import pocket:plugin/host@0.2.1;', 'import pocket:plugin/types@0.2.1;']);
  assert.ok(!/wasi/.test(wit), wit);
  assert.ok(wit.includes('export pocket:plugin/node@0.2.1;'));
});

test('runs as a workflow node, routing by its actions and writing the shared store', async () => {
  const registry = new NodeRegistry(builtinNodeTypes());
  registry.addPlugin(plugin);
  const dir = tempDir('pocket-wit-c-flow-');
  const file = join(dir, 'flow.yaml');
  writeFileSync(
    file,
    `
name: c-stats
start: stats
nodes:
  - { name: stats, type: word-stats }
  - { name: nothing, type: echo }
  - { name: done, type: echo }
connections:
  - { from: stats, to: done }
  - { from: stats, to: nothing, action: empty }
`,
  );
  const f = Flow.load(file, registry);
  const r = await f.run({ input: { text: 'the workflow runs C' } });
  assert.equal(r.path, ['stats', 'done']);
  assert.equal(r.output, { words: 4, characters: 19, lines: 1 });
  assert.equal(r.store, { 'word-stats:last': 4 });
  const e = await f.run({ input: { text: ' ' } });
  assert.equal(e.path, ['stats', 'nothing']);
});

// ---- bench-c (a Makefile project) ----

test('bench-c: echo returns its input unchanged; word-count matches the reference algorithm', async () => {
  const input = { text: 'héllo "x"\n', n: [1, 2.5, null, true], nested: { a: 'b' } };
  assert.equal((await benchPlugin.runNode('echo', { input })).output, input);
  const r = await benchPlugin.runNode('word-count', { input: { text: 'The quick brown fox jumps over the lazy dog. The fox is QUICK! A-b' } });
  assert.equal(r.output, {
    total_words: 10,
    unique_words: 8,
    word_frequencies: { quick: 2, brown: 1, fox: 2, jumps: 1, over: 1, lazy: 1, dog: 1, b: 1 },
    average_word_length: 3.8,
    longest_word: 'quick',
    shortest_word: 'b',
  });
  assert.is(r.next, 'short');
  const empty = await benchPlugin.runNode('word-count', { input: { text: 'the a an, of!' } });
  assert.equal(empty.output, { total_words: 0, unique_words: 0, word_frequencies: {}, average_word_length: 0, longest_word: '', shortest_word: '' });
  assert.is(empty.next, 'empty');
  const avg = await benchPlugin.runNode('word-count', { input: { text: 'ab abc abc' } });
  assert.is((avg.output as { average_word_length: number }).average_word_length, 2.67);
});

// ---- the hand-written glue against the WIT ----

const VALTYPES: Record<number, CoreType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

/** The function imports (by `module#name`) and exports of a core module, with their core types. */
function coreFunctions(bytes: Uint8Array): { imports: Map<string, CoreSignature>; exports: Map<string, CoreSignature> } {
  const types: CoreSignature[] = [];
  const funcTypes: number[] = []; // type index of every function, imports first
  const imports = new Map<string, CoreSignature>();
  const exports = new Map<string, CoreSignature>();
  const exported: [string, number][] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = leb(bytes, at + 1);
    let [count, p] = id >= 1 && id <= 7 ? leb(bytes, body) : [0, body];
    for (; count > 0; count--) {
      if (id === 1) {
        assert.is(bytes[p], 0x60);
        const sig: CoreSignature = { params: [], results: [] };
        for (const key of ['params', 'results'] as const) {
          let [n, q] = leb(bytes, p + (key === 'params' ? 1 : 0));
          for (; n > 0; n--) sig[key].push(VALTYPES[bytes[q++]!]!);
          p = q;
        }
        types.push(sig);
      } else if (id === 2) {
        const [mod, p1] = readWasmName(bytes, p);
        const [name, p2] = readWasmName(bytes, p1);
        const kind = bytes[p2]!;
        p = p2 + 1;
        if (kind === 0) {
          const [ti, q] = leb(bytes, p);
          funcTypes.push(ti);
          imports.set(`${mod}#${name}`, types[ti]!);
          p = q;
        } else if (kind === 1) p = skipLimits(bytes, p + 1);
        else if (kind === 2) p = skipLimits(bytes, p);
        else if (kind === 3) p += 2;
        else p = leb(bytes, p + 1)[1];
      } else if (id === 3) {
        const [ti, q] = leb(bytes, p);
        funcTypes.push(ti);
        p = q;
      } else if (id === 7) {
        const [name, p1] = readWasmName(bytes, p);
        const kind = bytes[p1]!;
        const [index, q] = leb(bytes, p1 + 1);
        if (kind === 0) exported.push([name, index]);
        p = q;
      }
    }
    at = body + size;
  }
  for (const [name, index] of exported) exports.set(name, types[funcTypes[index]!]!);
  return { imports, exports };
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at]!;
  let p = leb(bytes, at + 1)[1];
  if (flags & 1) p = leb(bytes, p)[1];
  return p;
}

let witCache: WitResolve | undefined;
async function wit(): Promise<WitResolve> {
  witCache ??= await loadWitPath(join(ROOT, 'wit/v0.2.1'));
  return witCache;
}

function ifaceFuncs(resolve: WitResolve, iface: string): Func[] {
  return [...resolve.main.interfaces.get(iface)!.functions.values()];
}

/**
 * Compile the example with the SDK into a core module, as the builder does, plus a function that
 * calls every host wrapper (the linker drops imports nobody calls).
 */
const TOUCH = `#include "pocket_plugin.h"
__attribute__((export_name("pp_test_touch"))) int pp_test_touch(void) {
  pp_str_t v;
  pp_log(PP_LOG_DEBUG, "x");
  pp_store_set(PP_STR("k"), PP_STR("1"));
  return (int)pp_store_get(PP_STR("k"), &v) + (int)pp_store_delete(PP_STR("k")) + (int)pp_now() + (int)pp_cancelled();
}
`;

function compileCore(): Uint8Array {
  const dir = tempDir('pocket-wit-c-core-');
  writeFileSync(join(dir, 'touch.c'), TOUCH);
  const manifestC = join(dir, 'pocket_manifest.c');
  writeFileSync(manifestC, manifestSource(readManifest(join(ROOT, 'examples/c-word-stats/manifest.yaml'))));
  const out = join(dir, 'core.wasm');
  const r = spawnSync(CLANG, [...cFlags(cSdkDir()), ...C_LDFLAGS, '-o', out, join(ROOT, 'examples/c-word-stats/src/plugin.c'), join(cSdkDir(), 'pocket_plugin.c'), manifestC, join(dir, 'touch.c')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(out));
}

test('glue vs WIT: every import and export of the core module has the flat signature the WIT gives', async () => {
  const resolve = await wit();
  const core = coreFunctions(compileCore());
  const version = resolve.main.id.version;
  const expectedImports = new Map<string, CoreSignature>();
  for (const f of ifaceFuncs(resolve, 'host')) expectedImports.set(`pocket:plugin/host@${version}#${f.name}`, coreSignature(resolve, f, 'lower'));
  // the module may leave an import out (never called) but must not import anything else
  for (const [name, sig] of core.imports) {
    assert.ok(expectedImports.has(name), `unexpected import ${name}`);
    assert.equal(sig, expectedImports.get(name), name);
  }
  assert.equal([...core.imports.keys()].sort(), [...expectedImports.keys()].sort(), 'every host function is imported');
  const expectedExports = new Map<string, CoreSignature>([['cabi_realloc', { params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'] }]]);
  for (const f of ifaceFuncs(resolve, 'node')) {
    const sig = coreSignature(resolve, f, 'lift');
    expectedExports.set(`pocket:plugin/node@${version}#${f.name}`, sig);
    expectedExports.set(`cabi_post_pocket:plugin/node@${version}#${f.name}`, { params: sig.results, results: [] });
  }
  for (const [name, sig] of expectedExports) assert.equal(core.exports.get(name), sig, name);
  // _initialize: wasi-libc's reactor entry; cabi_realloc_adapter: long-lived memory for the WASI adapter
  const extra = [...core.exports.keys()].filter((n) => !expectedExports.has(n) && !['_initialize', 'cabi_realloc_adapter', 'pp_test_touch'].includes(n));
  assert.equal(extra, []);
});

test('glue vs WIT: the flattening helper gives the known signatures', async () => {
  const resolve = await wit();
  const host = new Map(ifaceFuncs(resolve, 'host').map((f) => [f.name, coreSignature(resolve, f, 'lower')]));
  assert.equal(host.get('log'), { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], results: [] });
  assert.equal(host.get('store-get'), { params: ['i32', 'i32', 'i32'], results: [] });
  assert.equal(host.get('now'), { params: [], results: ['i64'] });
  const node = new Map(ifaceFuncs(resolve, 'node').map((f) => [f.name, coreSignature(resolve, f, 'lift')]));
  assert.equal(node.get('post'), { params: Array(10).fill('i32'), results: ['i32'] });
});

/** WIT record (in `types`) → C struct of pocket_plugin.h; fields map kebab → snake case. */
const C_STRUCTS: Record<string, string> = {
  'node-error': 'pp_error_t',
  'post-result': 'pp_post_result_t',
  'node-example': 'pp_example_t',
  'node-definition': 'pp_node_def_t',
  permissions: 'pp_permissions_t',
  'plugin-metadata': 'pp_metadata_t',
};

test('glue vs WIT: the structs of pocket_plugin.h have the canonical ABI layout of every record', async () => {
  const resolve = await wit();
  const types = resolve.main.interfaces.get('types')!;
  const named = (name: string): WitType => ({ kind: 'named', ref: { owner: { package: resolve.main.id, interface: 'types' }, name } });
  const lines = ['#include <stddef.h>', '#include "pocket_plugin.h"'];
  const records = [...types.types.entries()].filter(([, d]) => d.kind === 'record').map(([n]) => n);
  assert.equal(records.sort(), Object.keys(C_STRUCTS).sort(), 'every WIT record has a C struct');
  for (const [record, struct] of Object.entries(C_STRUCTS)) {
    const t = named(record);
    const l = layout(resolve, t);
    lines.push(`_Static_assert(sizeof(${struct}) == ${l.size}, "${record}: size ${l.size}");`);
    lines.push(`_Static_assert(_Alignof(${struct}) == ${l.align}, "${record}: align ${l.align}");`);
    for (const [field, offset] of fieldOffsets(resolve, t)) {
      lines.push(`_Static_assert(offsetof(${struct}, ${field.replace(/-/g, '_')}) == ${offset}, "${record}.${field}: offset ${offset}");`);
    }
  }
  const optJson: WitType = { kind: 'option', inner: { kind: 'primitive', name: 'string' } };
  lines.push(`_Static_assert(sizeof(pp_opt_str_t) == ${layout(resolve, optJson).size} && offsetof(pp_opt_str_t, val) == ${payloadOffset(resolve, optJson)}, "option<json>");`);
  // the return area of prep/exec/post: result<json, node-error> / result<post-result, node-error>
  const node = resolve.main.interfaces.get('node')!;
  const results = ['prep', 'exec', 'post'].map((n) => node.functions.get(n)!.result!);
  const area = Math.max(...results.map((r) => layout(resolve, r).size));
  assert.equal(results.map((r) => payloadOffset(resolve, r)), [4, 4, 4]);
  assert.is(area, 28);
  const dir = tempDir('pocket-wit-c-layout-');
  writeFileSync(join(dir, 'layout.c'), `${lines.join('\n')}\n`);
  const r = spawnSync(CLANG, [...cFlags(cSdkDir()), '-fsyntax-only', join(dir, 'layout.c')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.ok(lines.length > 40);
});

// ---- build errors ----

function copyExample(): string {
  const dir = join(tempDir('pocket-wit-c-bad-'), 'c-word-stats');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'examples/c-word-stats'), dir, { recursive: true, filter: (src) => !src.includes('/dist') });
  return dir;
}

test('a C syntax error is build-failed with the compiler message', async () => {
  const dir = copyExample();
  const file = join(dir, 'src/plugin.c');
  writeFileSync(file, readFileSync(file, 'utf8').replace('stats_t s = {0, 0, 0};', 'stats_t s = {0, 0, 0}'));
  const err = await failure(buildPlugin(dir, { out: join(dir, 'dist/x.wasm') }));
  assert.is(err.code, 'build-failed');
  assert.match(err.message, /compiling src\/plugin\.c failed/);
  assert.match(err.message, /plugin\.c:\d+:\d+: error: expected ';'/);
});

test('a C plugin using printf builds, with the WASI reactor adapter: its component imports wasi interfaces', async () => {
  const dir = copyExample();
  const file = join(dir, 'src/plugin.c');
  writeFileSync(file, readFileSync(file, 'utf8').replace('#include "pocket_plugin.h"', '#include <stdio.h>\n#include "pocket_plugin.h"').replace('  stats_t s = {0, 0, 0};', '  printf("x\\n");\n  stats_t s = {0, 0, 0};'));
  // The language builder itself: buildPlugin also runs the plugin once to read its nodes, which
  // needs a host that provides WASI (the sandbox's per-instance WASI).
  const { component } = await buildC(readProject(dir), { witVersion: '0.2.1', steps: silentSteps });
  const wit = await componentWit(component);
  const imports = wit.split('\n').filter((l) => /^\s*import /.test(l)).map((l) => l.trim().replace(/^import ([^@;]+)(@[^;]*)?;$/, '$1'));
  for (const name of ['wasi:cli/stdout', 'wasi:filesystem/types', 'wasi:io/streams', 'pocket:plugin/host']) assert.ok(imports.includes(name), `${name} in ${imports.join(', ')}`);
  assert.ok(!imports.some((n) => n.startsWith('wasi:sockets/')), imports.join(', '));
});

test('a C plugin without stdio stays WASI-free: no adapter, only pocket:plugin imports', async () => {
  const { component } = await buildC(readProject(copyExample()), { witVersion: '0.2.1', steps: silentSteps });
  const wit = await componentWit(component);
  assert.ok(!/wasi/.test(wit), wit);
});

test('C plugins build for the newest world only', async () => {
  const err = await failure(buildPlugin(join(ROOT, 'examples/c-word-stats'), { witVersion: '0.1.0', out: join(tempDir(), 'x.wasm') }));
  assert.is(err.code, 'build-failed');
  assert.match(err.message, /pocket:plugin@0\.2\.1 only .* not @0\.1\.0/);
});

test.run();
