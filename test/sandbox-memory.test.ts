/**
 * The memory cap holds for the whole instance of a plugin, however many memories its core modules
 * define or however often it instantiates them, and memory exhausted while a plugin starts is
 * `memory-limit`. Hostile components are real plugins (test/fixtures/sandbox-c, C with the WASI
 * adapter) with extra core modules appended to the component's binary: each defines a memory and,
 * in its start function, grows it page by page until the engine refuses, writing every page, so
 * that each one takes all the memory it is allowed. Also: real plugins still load and run under
 * their manifests' caps, and the start-up bomb of test/fixtures/sandbox-c-memory (a C constructor).
 *
 * Peak RSS figures are printed with POCKET_WIT_TIMINGS=1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { encodeU32, readLeb } from '../host/src/component-sections.js';
import { Engine, loadPlugin, readComponent, transpileComponent, type Plugin } from '../host/src/index.js';
import { instantiateGlue } from '../host/src/sandbox/instantiate.js';
import { capModuleMemory, planMemoryCap, readModuleMemories, SIDE_MEMORY_ALLOWANCE_BYTES, WASM_PAGE, type MemoryShare } from '../host/src/sandbox/memory-cap.js';
import { createWasi } from '../host/src/sandbox/wasi/index.js';
import { hostImportsFor } from '../host/src/world-versions/index.js';
import { built, CACHE_DIR, expectError, ROOT } from './helpers.js';

const MB = 1024 * 1024;
const figures: string[] = [];

/** A core module whose start function grows its own memory a page at a time until refused, writing each page. */
const BOMB_WAT = `(module
  (memory (export "memory") 0)
  (func $start (local $page i32)
    (block $done
      (loop $grow
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 165) (i32.const 65536))
        (local.set $page (i32.add (local.get $page) (i32.const 1)))
        (br $grow))))
  (start $start))`;

let bombModule: Uint8Array;

/** How many core modules a component defines at its top level (the index the next one gets). */
function coreModuleCount(component: Uint8Array): number {
  let pos = 8;
  let count = 0;
  while (pos < component.length) {
    const id = component[pos++]!;
    const [size, body] = readLeb(component, pos);
    if (id === 1) count++;
    pos = body + size;
  }
  return count;
}

/**
 * `component` with `modules` more core modules (each the bomb), each instantiated `each` times
 * (core module and core instance sections appended; nothing before them changes index).
 */
function withBombs(component: Uint8Array, modules: number, each = 1): Uint8Array {
  const first = coreModuleCount(component);
  const out: number[] = [...component];
  for (let m = 0; m < modules; m++) out.push(1, ...encodeU32(bombModule.length), ...bombModule);
  const instances: number[] = [];
  for (let m = 0; m < modules; m++) for (let i = 0; i < each; i++) instances.push(0x00, ...encodeU32(first + m), 0x00);
  const body = [...encodeU32(modules * each), ...instances];
  out.push(2, ...encodeU32(body.length), ...body);
  return new Uint8Array(out);
}

/** The process's resident memory, sampled every few ms while `run` runs: its peak and where it started. */
async function peakRss<T>(run: () => Promise<T>): Promise<{ result: T; startMb: number; peakMb: number }> {
  const startMb = process.memoryUsage().rss / MB;
  let peakMb = startMb;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, process.memoryUsage().rss / MB)), 5);
  try {
    const result = await run();
    peakMb = Math.max(peakMb, process.memoryUsage().rss / MB);
    return { result, startMb, peakMb };
  } finally {
    clearInterval(timer);
  }
}

let sandboxC: Uint8Array;

test.before(async () => {
  bombModule = await parse(BOMB_WAT);
  sandboxC = new Uint8Array(readFileSync(await built('test/fixtures/sandbox-c')));
});

test.after(() => {
  if (process.env.POCKET_WIT_TIMINGS) console.log(figures.join('\n'));
});

// ---- the split ----

test('the split: the largest initial memory gets the headroom, every other one its initial size + 256 KB; maxima add up to the cap', async () => {
  const main = readModuleMemories(await parse('(module (memory (export "memory") 8))'));
  const side = readModuleMemories(await parse('(module (import "env" "memory" (memory 1)) (memory 3) (export "own" (memory 1)) (export "theirs" (memory 0)))'));
  const fixed = readModuleMemories(await parse('(module (memory 1 1))'));
  assert.equal(side, { imported: 1, defined: [{ min: 3, shared: false }], exports: { own: 0 } }, 'a re-exported imported memory is not its own');
  const plan = planMemoryCap(
    [
      { file: 'a.wasm', memories: main },
      { file: 'b.wasm', memories: side },
      { file: 'c.wasm', memories: fixed },
    ],
    64 * MB,
  );
  assert.equal(plan.modules['b.wasm']!.memories, [{ minBytes: 3 * WASM_PAGE, maxBytes: 3 * WASM_PAGE + SIDE_MEMORY_ALLOWANCE_BYTES }]);
  assert.equal(plan.modules['c.wasm']!.memories, [{ minBytes: WASM_PAGE, maxBytes: WASM_PAGE }], 'a declared maximum below the share is kept');
  assert.equal(plan.modules['a.wasm']!.memories, [{ minBytes: 8 * WASM_PAGE, maxBytes: 64 * MB - (3 * WASM_PAGE + SIDE_MEMORY_ALLOWANCE_BYTES) - WASM_PAGE }]);
  const sum = Object.values(plan.modules).reduce((n, m) => n + m.maxBytes, 0);
  assert.is(sum, 64 * MB);
  assert.ok(plan.fits);
  assert.is(plan.neededBytes, 8 * WASM_PAGE + 3 * WASM_PAGE + SIDE_MEMORY_ALLOWANCE_BYTES + WASM_PAGE);
  assert.is(plan.modules['b.wasm']!.exports.own!.maxBytes, 3 * WASM_PAGE + SIDE_MEMORY_ALLOWANCE_BYTES);

  // Rewritten and compiled: the engine grows the memory to the cap, no further.
  const capped = capModuleMemory(await parse('(module (memory (export "m") 2 100000))'), 1 * MB);
  const m = new WebAssembly.Instance(new WebAssembly.Module(capped.bytes)).exports.m as WebAssembly.Memory;
  assert.is(m.grow(14), 2);
  assert.throws(() => m.grow(1), RangeError);
  assert.is(m.buffer.byteLength, 1 * MB);

  const tooSmall = planMemoryCap([{ file: 'a.wasm', memories: main }, { file: 'b.wasm', memories: side }], 14 * WASM_PAGE);
  assert.not.ok(tooSmall.fits, 'the main memory would get less than its initial size');
});

// ---- 25 memories in one component ----

test('25 memories in one component: together they hold at most the cap (instantiated here, every memory measured)', async () => {
  const hostile = withBombs(sandboxC, 24);
  const transpiled = await transpileComponent(await readComponent(hostile), { cacheDir: CACHE_DIR });
  const engine = new Engine();
  const cap = 64 * MB;
  const compiled = await engine.compile(transpiled, { memoryBytes: cap, name: 'hostile' });
  try {
    assert.is(compiled.memoryPlan!.memoryCount, 25);
    const glue = await engine.glue(transpiled);
    const seen: { memory: WebAssembly.Memory; share: MemoryShare | undefined }[] = [];
    const imports: Record<string, unknown> = hostImportsFor(transpiled.worldVersion, () => undefined);
    Object.assign(imports, createWasi({ env: [], dirs: [], args: ['hostile'] }, { stdout: () => {}, stderr: () => {}, http: () => ({ ok: false, code: 'HTTP-request-denied', message: 'no' }) }));
    const { peakMb, startMb } = await peakRss(async () =>
      instantiateGlue(glue, compiled.modules, imports, 'hostile', { memoryPlan: compiled.memoryPlan, onMemory: (memory, share) => seen.push({ memory, share }) }),
    );
    assert.is(seen.length, 25, 'every memory was reported as its core instance was created');
    const bombs = seen.filter((s) => s.share && s.share.minBytes === 0);
    assert.is(bombs.length, 24);
    for (const b of bombs) assert.is(b.memory.buffer.byteLength, SIDE_MEMORY_ALLOWANCE_BYTES, 'each bomb grew to its allowance, no further');
    const total = seen.reduce((n, s) => n + s.memory.buffer.byteLength, 0);
    const maxima = seen.reduce((n, s) => n + (s.share?.maxBytes ?? Infinity), 0);
    assert.ok(maxima <= cap, `the maxima add up to ${maxima}`);
    assert.ok(total <= cap);
    figures.push(`25 memories, instantiated in-process under 64 MB: memories hold ${(total / MB).toFixed(2)} MB; RSS ${startMb.toFixed(0)} → peak ${peakMb.toFixed(0)} MB`);
  } finally {
    compiled.release();
  }
});

test('25 memories in one component, sandboxed: loads, each bomb stopped at its allowance, the plugin gets the rest of the cap; host RSS stays bounded', async () => {
  const hostile = withBombs(sandboxC, 24);
  const { result, startMb, peakMb } = await peakRss(async () => {
    const plugin = await loadPlugin(hostile, { cacheDir: CACHE_DIR, pool: 1, baseDir: join(ROOT, 'test/fixtures/sandbox-c') });
    try {
      assert.equal((await plugin.runNode('echo', { input: { ok: 1 } })).output, { ok: 1 });
      const err = await expectError(plugin.exec('alloc', { chunk_mb: 1 }), 'memory-limit', /memory limit of 64 MB/);
      await plugin.runNode('echo', { input: { ok: 2 } });
      return err;
    } finally {
      await plugin.close();
    }
  });
  // The plugin's own memory got the cap minus the bombs' 24 × 256 KB: its malloc stops below 58 MB.
  const got = Number(/out of memory after (\d+) MB/.exec(result.message)?.[1]);
  assert.ok(got > 40 && got <= 58, `the plugin allocated ${got} MB: ${result.message}`);
  figures.push(`25 memories, sandboxed under 64 MB: plugin allocated ${got} MB; host RSS ${startMb.toFixed(0)} → peak ${peakMb.toFixed(0)} MB (+${(peakMb - startMb).toFixed(0)})`);
  // Before, each of the 25 memories could take the whole cap (1.6 GB here). One cap and the
  // worker's overhead is what may be added now.
  assert.ok(peakMb - startMb < 64 + 200, `host RSS grew by ${(peakMb - startMb).toFixed(0)} MB`);
});

// ---- a core module instantiated more than once ----

test('a core module with a memory instantiated 3 times: refused at load with memory-limit naming the sum and the cap', async () => {
  const hostile = withBombs(sandboxC, 1, 3);
  const err = await expectError(
    loadPlugin(hostile, { cacheDir: CACHE_DIR, pool: 1, baseDir: join(ROOT, 'test/fixtures/sandbox-c') }),
    'memory-limit',
    /sandbox-c: its memories could grow to 64\.3 MB in all, more than its memory limit of 64 MB: the limit holds for the whole instance/,
  );
  assert.match(err.message, /instantiates plugin\.core\d+\.wasm 2 times/);
  // The same at the instantiate level: nothing past the refusal was created.
  const transpiled = await transpileComponent(await readComponent(hostile), { cacheDir: CACHE_DIR });
  const engine = new Engine();
  const compiled = await engine.compile(transpiled, { memoryBytes: 64 * MB });
  try {
    const glue = await engine.glue(transpiled);
    const imports: Record<string, unknown> = hostImportsFor(transpiled.worldVersion, () => undefined);
    Object.assign(imports, createWasi({ env: [], dirs: [], args: ['x'] }, { stdout: () => {}, stderr: () => {}, http: () => ({ ok: false, code: 'HTTP-request-denied', message: 'no' }) }));
    const seen: WebAssembly.Memory[] = [];
    assert.throws(() => instantiateGlue(glue, compiled.modules, imports, 'x', { memoryPlan: compiled.memoryPlan, onMemory: (m) => seen.push(m) }), /could grow to 64\.3 MB in all/);
    assert.is(seen.length, 2, 'the plugin memory and the first bomb; the second bomb was never instantiated');
  } finally {
    compiled.release();
  }
});

test('Go (the command runner): a bomb module instantiated twice is refused at load with memory-limit; 8 bombs once each load, and the plugin runs', async () => {
  const go = new Uint8Array(readFileSync(await built('examples/json-transformer')));
  await expectError(loadPlugin(withBombs(go, 1, 2), { cacheDir: CACHE_DIR }), 'memory-limit', /json-transformer: its memories could grow to 32\.3 MB in all, more than its memory limit of 32 MB/);
  const plugin = await loadPlugin(withBombs(go, 8), { cacheDir: CACHE_DIR });
  try {
    const r = await plugin.runNode('json-transform', { input: { data: { a: { b: 1 } }, transform: 'flatten' } });
    assert.equal(r.output, { result: { 'a.b': 1 }, metadata: { operation: 'flatten', changes: 1 } });
  } finally {
    await plugin.close();
  }
});

test('a component that instantiates a module without memory several times still loads', async () => {
  const noMemory = await parse('(module (func $f) (start $f))');
  const first = coreModuleCount(sandboxC);
  const body = [...encodeU32(3), 0x00, ...encodeU32(first), 0x00, 0x00, ...encodeU32(first), 0x00, 0x00, ...encodeU32(first), 0x00];
  const component = new Uint8Array([...sandboxC, 1, ...encodeU32(noMemory.length), ...noMemory, 2, ...encodeU32(body.length), ...body]);
  const plugin = await loadPlugin(component, { cacheDir: CACHE_DIR, pool: 1, baseDir: join(ROOT, 'test/fixtures/sandbox-c') });
  try {
    assert.equal((await plugin.runNode('echo', { input: { ok: true } })).output, { ok: true });
  } finally {
    await plugin.close();
  }
});

// ---- memory exhausted while starting ----

test('a C constructor that allocates past the cap while the plugin starts: memory-limit at load, not trap', async () => {
  const file = await built('test/fixtures/sandbox-c-memory');
  process.env.POCKET_SANDBOX_BOMB = '1';
  try {
    const t = performance.now();
    await expectError(
      loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1 }),
      'memory-limit',
      /sandbox-c-memory needs more memory to start than its limit of 16 MB \(its memory had grown to 1\d(\.\d)? MB\); raise permissions\.memory/,
    );
    assert.ok(performance.now() - t < 10_000);
  } finally {
    delete process.env.POCKET_SANDBOX_BOMB;
  }
  const fine = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1 });
  try {
    assert.equal((await fine.runNode('echo', { input: { ok: true } })).output, { ok: true });
  } finally {
    await fine.close();
  }
});

test('a C plugin writing a store value that is not JSON (pp_store_set in post): plugin-error, nothing stored', async () => {
  const plugin = await loadPlugin(await built('test/fixtures/sandbox-c-memory'), { cacheDir: CACHE_DIR, pool: 1 });
  try {
    const store = new Map<string, unknown>();
    await expectError(plugin.runNode('store-bad-json', { input: { key: 'k' }, store }), 'plugin-error', /wrote a store value for "k" that is not JSON; store values are JSON text/);
    assert.not.ok(store.has('k'));
    assert.equal((await plugin.runNode('echo', { input: { after: 1 } })).output, { after: 1 });
  } finally {
    await plugin.close();
  }
});

// ---- real plugins under their manifests' caps ----

const EXAMPLES = ['examples/sentiment-analyzer', 'examples/c-word-stats', 'examples/word-counter', 'examples/json-transformer'];

for (const project of EXAMPLES) {
  test(`${project} loads and runs its manifest's examples under its own cap`, async () => {
    const file = await built(project);
    const transpiled = await transpileComponent(await readComponent(file), { cacheDir: CACHE_DIR });
    const plugin = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1 });
    try {
      const cap = plugin.permissions!.memoryBytes;
      const compiled = await new Engine().compile(transpiled, { memoryBytes: cap });
      const plan = compiled.memoryPlan!;
      compiled.release();
      assert.ok(Object.values(plan.modules).reduce((n, m) => n + m.maxBytes, 0) <= cap);
      figures.push(`${project}: cap ${cap / MB} MB, ${plan.memoryCount} memor${plan.memoryCount === 1 ? 'y' : 'ies'}, needs ${(plan.neededBytes / MB).toFixed(2)} MB at start`);
      let ran = 0;
      for (const node of plugin.metadata.nodes) {
        for (const example of node.examples ?? []) {
          const r = await plugin.runNode(node.type, { input: example.input, ...(example.config ? { config: example.config as Record<string, unknown> } : {}) });
          if (example.output !== undefined) assert.equal(r.output, example.output, `${node.type}/${example.name}`);
          ran++;
        }
      }
      assert.ok(ran > 0, 'the example has examples to run');
    } finally {
      await plugin.close();
    }
  });
}

test.run();
