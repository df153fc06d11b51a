/**
 * Several world versions at once: every released `pocket:plugin` version in `wit/` has a host
 * adapter; a plugin built for 0.1.0 keeps running unchanged next to one built for 0.2.0, which
 * adds `cancelled()`, and one built for the newest (0.2.1, which adds the world `command` for Go
 * plugins); `pocket-wit build` targets the newest by default.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { readFile } from 'node:fs/promises';
import { builtinNodeTypes, Flow, loadPlugin, NodeRegistry, PluginError, silentLogSink, SUPPORTED_WORLD_VERSIONS, WORLD_VERSION, type Plugin } from '../host/src/index.js';
import { adapterVersions } from '../host/src/world-versions/index.js';
import { built, CACHE_DIR, ROOT, runCli, tempDir } from './helpers.js';

const KITCHEN = 'test/fixtures/kitchen-sink';

test('every version folder in wit/ is supported, has an adapter, and the newest is the build target', () => {
  const folders = readdirSync(join(ROOT, 'wit')).filter((d) => /^v\d/.test(d)).map((d) => d.slice(1)).sort();
  assert.equal(folders, ['0.1.0', '0.2.0', '0.2.1']);
  assert.equal([...SUPPORTED_WORLD_VERSIONS].sort(), folders);
  assert.equal(adapterVersions().sort(), folders);
  assert.is(WORLD_VERSION, folders[folders.length - 1]);
});

test('a plugin built for 0.1.0 imports the 0.1.0 host and runs unchanged on this host', async () => {
  const wasm = await built(KITCHEN, 'quickjs', '0.1.0');
  const wit = await componentWit(new Uint8Array(await readFile(wasm)));
  assert.match(wit, /import pocket:plugin\/host@0\.1\.0;/);
  assert.match(wit, /export pocket:plugin\/node@0\.1\.0;/);
  const plugin = await loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    assert.is(plugin.source.worldVersion, '0.1.0');
    assert.is(plugin.metadata.world, 'pocket:plugin@0.1.0');
    assert.equal(await plugin.runNode('identity', { input: { a: [1, 'two'] } }), { output: { a: [1, 'two'] }, next: 'default' });
    assert.equal((await plugin.runNode('greet', { input: { name: 'Ada' }, config: { excited: true } })).output, { message: 'Hello, Ada!!!' });
    const store = new Map<string, unknown>([['k', 1]]);
    const r = await plugin.runNode('store', { input: { get: 'k', set: { key: 'n', value: [1] }, del: 'k' }, store });
    assert.equal(store.get('n'), [1]);
    assert.is(store.has('k'), false);
    assert.ok(r.output);
    assert.equal((await plugin.runNode('clock', { now: () => 86_400_000 })).output, { iso: '1970-01-02T00:00:00.000Z', now: 86_400_000, parsed: 1577934245000 });
    // 0.1.0 has no cancelled(): the SDK answers false, so the node does all its steps.
    let asked = 0;
    const out = await plugin.runNode('patient', { input: { steps: 1000 }, cancelled: () => ++asked > 0 });
    assert.equal(out.output, { done: 1000, stopped: false });
    assert.is(asked, 0, 'a 0.1.0 plugin cannot ask the host');
  } finally {
    await plugin.close();
  }
});

test('a plugin built for 0.2.1 (the default) asks cancelled() and stops when the host says so', async () => {
  const plugin = await loadPlugin(await built(KITCHEN, 'quickjs'), { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    assert.is(plugin.source.worldVersion, '0.2.1');
    let asked = 0;
    const out = await plugin.runNode('patient', { input: { steps: 1000 }, cancelled: () => ++asked > 10 });
    assert.equal(out.output, { done: 10, stopped: true });
    assert.is(asked, 11);
    assert.equal((await plugin.runNode('patient', { input: { steps: 50 } })).output, { done: 50, stopped: false });
  } finally {
    await plugin.close();
  }
});

test('in a workflow, a node timeout reaches a 0.2.1 plugin through cancelled() mid-call', async () => {
  const dir = tempDir();
  const wasm = await built(KITCHEN, 'quickjs');
  const file = join(dir, 'flow.yaml');
  writeFileSync(
    file,
    [
      'name: patience',
      'start: wait',
      'nodes:',
      '  - name: wait',
      '    type: patient',
      '    timeout: 150ms',
      '',
    ].join('\n'),
  );
  const plugin: Plugin = await loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    const registry = new NodeRegistry(builtinNodeTypes());
    registry.addPlugin(plugin);
    const flow = Flow.load(file, registry);
    const t0 = performance.now();
    try {
      await flow.run({ input: { steps: 1e15 } });
      assert.unreachable('the node should time out');
    } catch (err) {
      const elapsed = performance.now() - t0;
      assert.instance(err, PluginError);
      assert.is((err as PluginError).code, 'timeout', (err as Error).message);
      assert.ok(elapsed < 3000, `stopped after ${elapsed.toFixed(0)} ms`);
    }
  } finally {
    await plugin.close();
  }
});

test('pocket-wit build --wit-version picks the world; an unknown version is a usage error', async () => {
  const out = join(tempDir(), 'k.wasm');
  const r = await runCli(['build', join(ROOT, KITCHEN), '-o', out, '--wit-version', '0.1.0']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(quickjs, [\d.]+ MB, pocket:plugin@0\.1\.0\)/);
  const info = await runCli(['info', out, '--json']);
  assert.is(info.code, 0, info.stderr);
  assert.is((JSON.parse(info.stdout) as { world: string }).world, 'pocket:plugin@0.1.0');
  const bad = await runCli(['build', join(ROOT, KITCHEN), '-o', out, '--wit-version', '0.9.0']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--wit-version must be one of 0\.1\.0, 0\.2\.0, 0\.2\.1 \(got "0\.9\.0"\)/);
});

test.run();
