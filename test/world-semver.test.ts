/**
 * Semver-compatible loading (issue #16): a plugin targeting a version this host has no adapter
 * for loads when the host supports a version of the same semver track (same minor below 1.0.0,
 * same major from 1.0.0), linked with that track's newest adapter, unless it imports something
 * the host's version lacks; anything else is `incompatible`, naming both versions. Real
 * components only: C plugins compiled by clang against the C SDK with another `PP_WIT_VERSION` and
 * wrapped by the build's `componentFromCore` with a copy of the released WIT re-versioned, TS
 * plugins built for each released version, and the Go example stamped as a pre-0.2.1 build.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { C_LDFLAGS, cFlags, cSdkDir, manifestSource } from '../tools/build/languages/c.js';
import { componentFromCore } from '../tools/build/wrap-core.js';
import { findTool, TOOLS } from '../tools/build/toolchains.js';
import {
  COMMAND_WORLD_VERSIONS,
  loadPlugin,
  readManifest,
  readPluginSection,
  resolveWorldVersion,
  semverTrack,
  silentLogSink,
  SUPPORTED_WORLD_VERSIONS,
  WORLD_VERSION,
  writePluginSection,
} from '../host/src/index.js';
import { built, CACHE_DIR, expectError, ROOT, tempDir } from './helpers.js';

const KITCHEN = 'test/fixtures/kitchen-sink';
const WORD_STATS = join(ROOT, 'examples/c-word-stats');

test('semver tracks and the version a plugin is linked with', () => {
  assert.is(semverTrack('0.2.0'), '0.2');
  assert.is(semverTrack('0.2.7'), '0.2');
  assert.is(semverTrack('1.4.2'), '1');
  assert.is(semverTrack('0.0.3'), undefined, '0.0.z matches only itself');
  assert.is(semverTrack('0.2.1-rc.1'), undefined, 'a prerelease matches only itself');
  assert.is(semverTrack(''), undefined);
  assert.equal(SUPPORTED_WORLD_VERSIONS, ['0.1.0', '0.2.0', '0.2.1']);
  assert.is(resolveWorldVersion('0.1.0'), '0.1.0');
  assert.is(resolveWorldVersion('0.2.0'), '0.2.0', 'a supported version keeps its own adapter');
  assert.is(resolveWorldVersion('0.2.1'), '0.2.1');
  assert.is(resolveWorldVersion('0.2.7'), '0.2.1', 'a newer patch: the newest of its track');
  assert.is(resolveWorldVersion('0.1.9'), '0.1.0');
  assert.is(resolveWorldVersion('0.2.0', ['0.2.1']), '0.2.1', 'an older patch on a host of a newer one');
  assert.is(resolveWorldVersion('0.3.0'), undefined);
  assert.is(resolveWorldVersion('1.0.0'), undefined);
  assert.is(resolveWorldVersion('0.2.1-rc.1'), undefined);
  assert.is(resolveWorldVersion(''), undefined);
  assert.equal(COMMAND_WORLD_VERSIONS, ['0.2.1']);
  assert.is(resolveWorldVersion('0.2.0', COMMAND_WORLD_VERSIONS), '0.2.1');
});

for (const version of SUPPORTED_WORLD_VERSIONS) {
  test(`a TypeScript plugin built for ${version} loads and runs, linked with its own adapter`, async () => {
    const wasm = await built(KITCHEN, 'quickjs', version);
    const plugin = await loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink });
    try {
      assert.is(plugin.source.worldVersion, version);
      assert.is(plugin.source.linkedVersion, version);
      assert.is(plugin.metadata.world, `pocket:plugin@${version}`);
      assert.equal((await plugin.runNode('greet', { input: { name: 'Ada' }, config: { excited: true } })).output, { message: 'Hello, Ada!!!' });
      let asked = 0;
      const out = await plugin.runNode('patient', { input: { steps: 100 }, cancelled: () => ++asked > 5 });
      // 0.1.0 has no cancelled(): the SDK answers false there.
      assert.equal(out.output, version === '0.1.0' ? { done: 100, stopped: false } : { done: 5, stopped: true });
    } finally {
      await plugin.close();
    }
  });
}

/** A copy of a released WIT folder with its package lines (and optionally host.wit) changed. */
function witAt(version: string, options: { from?: string; hostAddition?: string } = {}): string {
  const dir = join(tempDir('pocket-wit-semver-wit-'), `v${version}`);
  cpSync(join(ROOT, 'wit', `v${options.from ?? WORLD_VERSION}`), dir, { recursive: true });
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.wit'))) {
    let text = readFileSync(join(dir, f), 'utf8').replace(/^package pocket:plugin@[^;]+;/m, `package pocket:plugin@${version};`);
    if (f === 'host.wit' && options.hostAddition) text = text.replace(/\n\}\s*$/, `\n    ${options.hostAddition}\n}\n`);
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/** The WIT folder as one source text, as the build's `witSource` gives it. */
function witText(dir: string, version: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.wit')).sort();
  const bodies = files.map((f) => readFileSync(join(dir, f), 'utf8').replace(/^\s*package\s+[^;]+;\s*$/m, `// ${f}`));
  return `package pocket:plugin@${version};\n\n${bodies.join('\n')}`;
}

/**
 * The C word-stats example compiled by clang against the C SDK with `PP_WIT_VERSION` set to
 * `version` (so its imports and exports name that version), plus `extra` C sources, wrapped into a
 * component of `wit` (a WIT folder of that version) by the build's `componentFromCore`.
 */
async function cPluginFor(version: string, wit: string, extra: Record<string, string> = {}, main = join(WORD_STATS, 'src/plugin.c')): Promise<string> {
  const dir = tempDir('pocket-wit-semver-c-');
  const manifest = readManifest(join(WORD_STATS, 'manifest.yaml'));
  writeFileSync(join(dir, 'pocket_manifest.c'), manifestSource(manifest));
  const sources = [main, join(cSdkDir(), 'pocket_plugin.c'), join(dir, 'pocket_manifest.c')];
  for (const [name, text] of Object.entries(extra)) {
    writeFileSync(join(dir, name), text);
    sources.push(join(dir, name));
  }
  const core = join(dir, 'core.wasm');
  const clang = findTool(TOOLS.clang, 'the semver tests');
  const r = spawnSync(clang, [...cFlags(cSdkDir()), `-DPP_WIT_VERSION="${version}"`, ...C_LDFLAGS, '-o', core, ...sources], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const component = await componentFromCore(new Uint8Array(readFileSync(core)), { witSource: witText(wit, version), world: 'plugin', adapter: 'none', source: `c-word-stats@${version}` });
  const out = join(dir, `c-word-stats-${version}.wasm`);
  writeFileSync(out, component);
  return out;
}

test('a plugin built for a newer patch (0.2.7) that uses only what this host has loads, linked as 0.2.1', async () => {
  const wasm = await cPluginFor('0.2.7', witAt('0.2.7'));
  const plugin = await loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    assert.is(plugin.source.worldVersion, '0.2.7');
    assert.is(plugin.source.linkedVersion, '0.2.1');
    assert.is(plugin.metadata.world, 'pocket:plugin@0.2.7');
    const store = new Map<string, unknown>();
    const r = await plugin.runNode('word-stats', { input: { text: 'hello world\nbye' }, store });
    assert.equal(r.output, { words: 3, characters: 15, lines: 2 });
    assert.is(store.get('word-stats:last'), 3, 'host calls reach the host');
  } finally {
    await plugin.close();
  }
  // The same plugin loads from the transpile cache with the same answer.
  const again = await loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    assert.is(again.source.transpileCached, true);
    assert.is(again.source.linkedVersion, '0.2.1');
  } finally {
    await again.close();
  }
});

const FROB = `#include "pocket_plugin.h"
__attribute__((import_module("pocket:plugin/host@" PP_WIT_VERSION), import_name("frobnicate"))) int32_t pp__frobnicate(void);
__attribute__((export_name("pp_test_frob"))) int pp_test_frob(void) { return (int)pp__frobnicate(); }
`;

test('a newer patch that imports a host function this host lacks is refused at load, naming both versions and the function', async () => {
  const wasm = await cPluginFor('0.2.7', witAt('0.2.7', { hostAddition: 'frobnicate: func() -> bool;' }), { 'frob.c': FROB });
  for (let i = 0; i < 2; i++) {
    // twice: fresh, then from the transpile cache
    await expectError(
      loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink }),
      'incompatible',
      /targets pocket:plugin@0\.2\.7 and imports pocket:plugin\/host@0\.2\.7#frobnicate, which this host lacks: its newest compatible version is pocket:plugin@0\.2\.1 \(supported: 0\.1\.0, 0\.2\.0, 0\.2\.1\); upgrade the host/,
    );
  }
});

test('a plugin of another track (0.3.0, 1.0.0) is incompatible, naming its version and the supported ones, with the fix', async () => {
  for (const version of ['0.3.0', '1.0.0']) {
    const wasm = await cPluginFor(version, witAt(version));
    const err = await expectError(
      loadPlugin(wasm, { cacheDir: CACHE_DIR, log: silentLogSink }),
      'incompatible',
      new RegExp(`targets pocket:plugin@${version.replace(/\./g, '\\.')}, which this host does not support \\(supported: 0\\.1\\.0, 0\\.2\\.0, 0\\.2\\.1, and versions semver-compatible with them`),
    );
    assert.match(err.message, new RegExp(`upgrade the host to a pocket-wit that runs pocket:plugin@${version.replace(/\./g, '\\.')}, or rebuild the plugin with this pocket-wit \\(\`pocket-wit build\` targets pocket:plugin@0\\.2\\.1`));
  }
});

test('Go plugins built before 0.2.1 (pocket:plugin/command@0.2.0) keep loading; command@0.3.0 is incompatible', async () => {
  const wasm = await built('examples/json-transformer');
  const bytes = new Uint8Array(readFileSync(wasm));
  const section = readPluginSection(bytes, wasm)!;
  assert.is(section.world, `pocket:plugin/command@${WORLD_VERSION}`);
  const dir = tempDir('pocket-wit-semver-go-');
  const stamp = (world: string): string => {
    const file = join(dir, `${world.replace(/[^a-z0-9.]/g, '_')}.wasm`);
    // A later section of the same name wins: the component as an older pocket-wit stamped it.
    writeFileSync(file, writePluginSection(bytes, { ...section, world }));
    return file;
  };
  const old = await loadPlugin(stamp('pocket:plugin/command@0.2.0'), { cacheDir: CACHE_DIR, log: silentLogSink });
  try {
    assert.is(old.source.worldVersion, '0.2.0');
    assert.is(old.source.linkedVersion, '0.2.1');
    const r = await old.runNode('json-transform', { input: { data: { a: { b: { c: 1 } } }, transform: 'flatten' } });
    assert.equal(r.output, { result: { 'a.b.c': 1 }, metadata: { operation: 'flatten', changes: 1 } });
  } finally {
    await old.close();
  }
  await expectError(
    loadPlugin(stamp('pocket:plugin/command@0.3.0'), { cacheDir: CACHE_DIR, log: silentLogSink }),
    'incompatible',
    /targets pocket:plugin\/command@0\.3\.0, which this host does not run: it runs pocket:plugin\/command 0\.2\.1 and versions semver-compatible with them/,
  );
});

test('check agrees with the loader: a 0.2.7 plugin using what 0.2.1 has is compatible; one importing a function 0.2.1 lacks is not; 0.3.0 is unsupported', async () => {
  const { checkPlugin } = await import('../tools/wit/check-plugin.js');
  const fits = await checkPlugin(await cPluginFor('0.2.7', witAt('0.2.7')));
  assert.is(fits.compatible, true, JSON.stringify(fits.problems));
  const frob = await checkPlugin(await cPluginFor('0.2.7', witAt('0.2.7', { hostAddition: 'frobnicate: func() -> bool;' }), { 'frob.c': FROB }));
  assert.is(frob.compatible, false);
  assert.ok(frob.problems.some((p) => p.kind === 'missing-import' && /frobnicate/.test(p.path + p.message)), JSON.stringify(frob.problems));
  const other = await checkPlugin(await cPluginFor('0.3.0', witAt('0.3.0')));
  assert.is(other.compatible, false);
  assert.equal(other.problems.map((p) => p.kind), ['unsupported-version']);
});

test('check compares only the plugin\'s own world: a plugin whose carried WIT has another world the host\'s lacks (a 0.2.0 build made while world command sat in 0.2.0) is compatible', async () => {
  const { checkPlugin } = await import('../tools/wit/check-plugin.js');
  const wasm = await built('examples/sentiment-analyzer', 'quickjs', '0.2.0');
  const bytes = new Uint8Array(readFileSync(wasm));
  const section = readPluginSection(bytes, wasm)!;
  assert.ok(section.wit, 'a pocket-wit build carries its WIT');
  const file = join(tempDir('pocket-wit-semver-world-'), 'extra-world.wasm');
  writeFileSync(file, writePluginSection(bytes, { ...section, wit: `${section.wit}\nworld command {\n}\n` }));
  const report = await checkPlugin(file);
  assert.is(report.compatible, true, JSON.stringify(report.problems));
  // A change in the plugin's own world still counts.
  const own = join(tempDir('pocket-wit-semver-world-'), 'own-world.wasm');
  const retyped = section.wit!.replace('fields: option<json>);', 'fields: option<json>, extra: u32);');
  assert.is.not(retyped, section.wit);
  writeFileSync(own, writePluginSection(bytes, { ...section, wit: retyped }));
  const changed = await checkPlugin(own);
  assert.is(changed.compatible, false, 'a retyped host function in the plugin\'s world is a mismatch');
  assert.ok(changed.problems.some((p) => p.kind === 'type-mismatch' && p.path.includes('log')), JSON.stringify(changed.problems));
});

test.run();
