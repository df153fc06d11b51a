/** loadPlugin refuses what is not a pocket:plugin component, with the right code and a fix. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { componentize } from 'componentize-qjs';
import { loadPlugin, PluginError, readComponent } from '../host/src/index.js';
import { appendCustomSection } from '../host/src/component-sections.js';
import { PLUGIN_SECTION } from '../host/src/plugin-section.js';
import { CACHE_DIR, ROOT, tempDir } from './helpers.js';

async function expectLoadError(source: string | Uint8Array, code: string, message: RegExp): Promise<void> {
  try {
    await loadPlugin(source, { cacheDir: CACHE_DIR });
  } catch (err) {
    assert.instance(err, PluginError, String(err));
    assert.is((err as PluginError).code, code, (err as Error).message);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected error[${code}]`);
}

const dir = tempDir();

test('a missing file is not-found', async () => {
  await expectLoadError(join(dir, 'nothing.wasm'), 'not-found', /no plugin file at/);
});

test('a file that is not WebAssembly is invalid-plugin', async () => {
  writeFileSync(join(dir, 'text.wasm'), 'hello, I am text');
  await expectLoadError(join(dir, 'text.wasm'), 'invalid-plugin', /not a WebAssembly file.*pocket-wit build/);
});

test('a core module (not a component) is invalid-plugin', async () => {
  const core = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  await expectLoadError(core, 'invalid-plugin', /core WebAssembly module, not a component/);
});

test('a component over the size limit is size-limit, refused before it is read or hashed', async () => {
  const component = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, ...new Array(2048).fill(0)]);
  writeFileSync(join(dir, 'big.wasm'), component);
  for (const source of [join(dir, 'big.wasm'), component]) {
    try {
      await readComponent(source, { maxBytes: 1024 });
      assert.unreachable('expected size-limit');
    } catch (err) {
      assert.instance(err, PluginError);
      assert.is((err as PluginError).code, 'size-limit');
      assert.match((err as Error).message, /more than the 0\.0 MB a component may be/);
    }
  }
});

test('a pocket-wit:plugin section over 4 MB is invalid-plugin, refused before it is parsed', async () => {
  const header = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  const huge = appendCustomSection(header, PLUGIN_SECTION, new Uint8Array(5 * 1024 * 1024).fill(0x20));
  await expectLoadError(huge, 'invalid-plugin', /pocket-wit:plugin section is 5242880 bytes, more than the 4194304/);
});

test('a damaged component is invalid-plugin', async () => {
  const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05, 0x01, 0x02]);
  await expectLoadError(bytes, 'invalid-plugin', /damaged|not a valid component/);
});

test('a component of another world is incompatible, naming what it exports', async () => {
  const fixture = join(ROOT, 'test/fixtures/other-world');
  const { component } = await componentize({
    witPath: join(fixture, 'world.wit'),
    jsSource: readFileSync(join(fixture, 'greeter.js'), 'utf8'),
    world: 'greeter',
    stubWasi: true,
    sync: true,
    optSize: true,
  });
  await expectLoadError(new Uint8Array(component), 'incompatible', /component of another world: it exports .*greet.*pocket:plugin\/node/);
});

test('a component built for an unsupported version of pocket:plugin is incompatible', async () => {
  // The real world, renumbered to a version this host does not support.
  const wit = join(dir, 'wit-9');
  mkdirSync(wit);
  const src = join(ROOT, 'wit/v0.1.0');
  for (const f of readdirSync(src)) writeFileSync(join(wit, f), readFileSync(join(src, f), 'utf8').replace('pocket:plugin@0.1.0', 'pocket:plugin@9.0.0'));
  const js = `import host from 'pocket:plugin/host@9.0.0';
    export const node = { metadata() { throw 'x'; }, prep() { return '{}'; }, exec() { return '{}'; }, post() { return { output: '{}', next: '' }; } };`;
  const { component } = await componentize({ witPath: wit, jsSource: js, world: 'plugin', stubWasi: true, sync: true, optSize: true });
  await expectLoadError(new Uint8Array(component), 'incompatible', /targets pocket:plugin@9\.0\.0, which this host does not support \(supported: 0\.1\.0, 0\.2\.0, 0\.2\.1, and versions semver-compatible with them[^)]*\); upgrade the host/);
});

test.run();
