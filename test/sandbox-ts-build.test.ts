/**
 * TypeScript plugins and WASI: the component imports exactly the WASI interfaces the plugin
 * needs (the capabilities its permissions declare and its code uses, plus any `wasi:` module it
 * imports itself), and none at all otherwise. Built with the QuickJS engine.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { componentWit } from '@bytecodealliance/jco';
import { readProject } from '../tools/build/project.js';
import { bundlePluginWithImports, entrySource } from '../tools/build/bundle-ts.js';
import { buildTypeScript } from '../tools/build/languages/typescript.js';
import { componentizeJs } from '../tools/build/componentize-js.js';
import { renameImportNamespace, worldWasiImports } from '../tools/build/wasi-world.js';
import { checkPlugin } from '../tools/wit/check-plugin.js';
import { silentSteps } from '../tools/ui/steps.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { isPluginError, loadPlugin, PluginError, silentLogSink } from '../host/src/index.js';
import { built, CACHE_DIR, ROOT, tempDir } from './helpers.js';

const CAPS = join(ROOT, 'test/fixtures/sandbox-ts-caps');
const NOCAPS = join(ROOT, 'test/fixtures/sandbox-ts-nocaps');

/** The component's imports as `check` reads them (versioned names), sorted. */
async function importsOf(component: Uint8Array): Promise<string[]> {
  return (await checkPlugin(component)).imports.sort();
}

const wasiOnly = (imports: string[]): string[] => imports.filter((i) => i.startsWith('wasi:'));

let capsComponent: Promise<Uint8Array> | undefined;
function capsBuilt(): Promise<Uint8Array> {
  capsComponent ??= buildTypeScript(readProject(CAPS), { witVersion: '0.2.0', steps: silentSteps }, 'quickjs').then((r) => r.component);
  return capsComponent;
}

test('the capability plugin links env, fs and fetch, and its own wasi:sockets import', async () => {
  const bundled = await bundlePluginWithImports(readProject(CAPS), 'quickjs');
  assert.equal(bundled.capabilities, ['env', 'filesystem', 'network']);
  assert.equal(bundled.wasiImports, ['wasi:cli/environment', 'wasi:filesystem/preopens', 'wasi:http/outgoing-handler', 'wasi:http/types', 'wasi:sockets/tcp-create-socket']);
  // The bundle names them in the stand-in namespace the build renames back.
  assert.match(bundled.source, /wasx:cli\/environment@0\.2\.12/);
  assert.not.match(bundled.source, /["']wasi:/);
  assert.equal(worldWasiImports(bundled.capabilities, bundled.wasiImports), [
    'wasi:cli/environment',
    'wasi:filesystem/preopens',
    'wasi:filesystem/types',
    'wasi:http/outgoing-handler',
    'wasi:http/types',
    'wasi:sockets/tcp-create-socket',
  ]);
});

test('the capability plugin component imports exactly those WASI interfaces (and what they use)', async () => {
  const imports = await importsOf(await capsBuilt());
  assert.equal(wasiOnly(imports), [
    'wasi:cli/environment@0.2.12',
    'wasi:clocks/monotonic-clock@0.2.12', // wasi:http/types uses its duration
    'wasi:clocks/wall-clock@0.2.12', // wasi:filesystem/types uses its datetime
    'wasi:filesystem/preopens@0.2.12',
    'wasi:filesystem/types@0.2.12',
    'wasi:http/outgoing-handler@0.2.12',
    'wasi:http/types@0.2.12',
    'wasi:io/error@0.2.12',
    'wasi:io/poll@0.2.12',
    'wasi:io/streams@0.2.12',
    'wasi:sockets/network@0.2.12', // wasi:sockets/tcp-create-socket uses these two
    'wasi:sockets/tcp-create-socket@0.2.12',
    'wasi:sockets/tcp@0.2.12',
  ]);
  assert.ok(imports.includes('pocket:plugin/host@0.2.0'));
  // None of the QuickJS runtime's own WASI use (stdio, exit, random, terminal) is left.
  assert.not.ok(imports.some((i) => /^wasi:(cli\/(exit|std|terminal)|random)/.test(i)), imports.join());
});

test('check accepts the capability plugin: its WASI imports are ones the sandbox provides', async () => {
  const report = await checkPlugin(await capsBuilt());
  assert.equal(report.problems, []);
  assert.ok(report.compatible);
});

test('a plugin that declares no permissions imports no WASI, and the SDK stubs refuse', async () => {
  const project = readProject(NOCAPS);
  const bundled = await bundlePluginWithImports(project, 'quickjs');
  assert.equal(bundled.capabilities, []);
  assert.equal(bundled.wasiImports, []);
  assert.not.match(entrySource(project, 'quickjs', '0.2.0', bundled.capabilities), /capabilities\//);
  const out = await built('test/fixtures/sandbox-ts-nocaps');
  const imports = await importsOf(new Uint8Array(await readFile(out)));
  assert.equal(wasiOnly(imports), []);
});

test('kitchen-sink (declares env but never uses it) and the examples still import no WASI', async () => {
  const sink = await bundlePluginWithImports(readProject(join(ROOT, 'test/fixtures/kitchen-sink')), 'quickjs');
  assert.equal(sink.capabilities, []);
  for (const dir of ['test/fixtures/kitchen-sink', 'examples/sentiment-analyzer']) {
    const imports = await importsOf(new Uint8Array(await readFile(await built(dir))));
    assert.equal(wasiOnly(imports), [], dir);
  }
});

test('a declared capability the code never names is not linked; a named one is', async () => {
  const dir = tempDir('pocket-wit-caps-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'manifest.yaml'), 'name: caps-probe\nversion: 0.1.0\ndescription: probe\npermissions:\n  env: [A]\n  filesystem: ["./data"]\n  network: ["example.com"]\n');
  writeFileSync(
    join(dir, 'src', 'index.ts'),
    `import { definePlugin } from 'pocket-wit/guest';\nimport { read } from './helper';\nexport default definePlugin({ nodes: [{ type: 'a', category: 't', description: 'd', exec(_i, ctx) { return read(ctx); } }] });\n`,
  );
  writeFileSync(join(dir, 'src', 'helper.ts'), `export function read(ctx: any) { return ctx.env.get('A'); }\n`);
  const bundled = await bundlePluginWithImports(readProject(dir), 'quickjs');
  assert.equal(bundled.capabilities, ['env']);
  assert.equal(bundled.wasiImports, ['wasi:cli/environment']);
});

test('a wasi: import the sandbox does not provide is a build error naming it', async () => {
  const dir = tempDir('pocket-wit-caps-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'manifest.yaml'), 'name: bad-wasi\nversion: 0.1.0\ndescription: probe\n');
  writeFileSync(
    join(dir, 'src', 'index.ts'),
    `import { definePlugin } from 'pocket-wit/guest';\n// @ts-ignore\nimport c from 'wasi:blobstore/container@0.2.0';\nexport default definePlugin({ nodes: [{ type: 'a', category: 't', description: 'd', exec() { return c; } }] });\n`,
  );
  try {
    await bundlePluginWithImports(readProject(dir), 'quickjs');
    assert.unreachable('should fail');
  } catch (err) {
    assert.ok(isPluginError(err), String(err));
    assert.match((err as Error).message, /wasi:blobstore\/container@0\.2\.0, which the Pocket sandbox does not provide/);
  }
  // wasi:keyvalue is provided, at the one version the sandbox implements.
  writeFileSync(
    join(dir, 'src', 'index.ts'),
    `import { definePlugin } from 'pocket-wit/guest';\n// @ts-ignore\nimport store from 'wasi:keyvalue/store@0.2.0-draft2';\nexport default definePlugin({ nodes: [{ type: 'a', category: 't', description: 'd', exec() { return store; } }] });\n`,
  );
  try {
    await bundlePluginWithImports(readProject(dir), 'quickjs');
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /imports wasi:keyvalue\/store@0\.2\.0-draft2; pocket-wit implements wasi:keyvalue@0\.2\.0-draft/);
  }
});

test('StarlingMonkey refuses a plugin that needs WASI, before building', async () => {
  try {
    await componentizeJs('export const node = {};', 'starlingmonkey', '0.2.0', ['wasi:cli/environment']);
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /needs WASI \(wasi:cli\/environment.*QuickJS engine only; build it with --engine quickjs/);
  }
});

test('renameImportNamespace renames top-level imports only, in place', async () => {
  const component = await capsBuilt();
  // Already renamed: a second pass from wasx: changes nothing.
  assert.equal(renameImportNamespace(component), component);
  const back = renameImportNamespace(component, 'wasi', 'wasx');
  assert.is(back.length, component.length);
  const wit = await componentWit(back);
  assert.match(wit, /import wasx:cli\/environment@0\.2\.12;/);
  assert.not.match(wit, /import wasi:/);
});

// End to end through the sandbox (worker threads, per-instance WASI from the permissions).

async function expectCode(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, PluginError, String(err));
    assert.is((err as PluginError).code, code, (err as Error).message);
    if (pattern) assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('sandboxed: each capability works when granted and is permission-denied otherwise', async () => {
  const server = createServer((req, res) => res.end(`hello ${req.method} ${req.url}`));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  process.env.POCKET_SANDBOX_OK = 'granted';
  const outFile = join(CAPS, 'out', `e2e-${process.pid}.txt`);
  const plugin = await loadPlugin(await built('test/fixtures/sandbox-ts-caps'), { cacheDir: CACHE_DIR, pool: 1, baseDir: CAPS, log: silentLogSink });
  try {
    const exec = (type: string, input: unknown) => plugin.exec(type, input);
    assert.equal(await exec('env', { name: 'POCKET_SANDBOX_OK' }), { value: 'granted' });
    await expectCode(exec('env', { name: 'HOME' }), 'permission-denied', /HOME is not in the plugin's env permissions/);
    assert.equal(await exec('read', { path: '/data/hello.txt' }), { text: 'hello from data\n' });
    await expectCode(exec('read', { path: '/data/nope.txt' }), 'not-found', /no such file or directory/);
    await expectCode(exec('read', { path: '/data/../../../../etc/passwd' }), 'permission-denied', /permission denied by the host \(not-permitted\)/);
    await expectCode(exec('read', { path: '/etc/passwd' }), 'permission-denied', /outside the plugin's filesystem permissions/);
    await expectCode(exec('write', { path: '/data/new.txt', text: 'x' }), 'permission-denied', /permission denied by the host \(read-only\)/);
    assert.equal(await exec('write', { path: `/out/e2e-${process.pid}.txt`, text: 'written ✓' }), { ok: true });
    assert.is(readFileSync(outFile, 'utf8'), 'written ✓');
    assert.ok(((await exec('list', { path: '/out' })) as { entries: string[] }).entries.includes(`e2e-${process.pid}.txt`));
    assert.equal(await exec('fetch', { url: `http://127.0.0.1:${port}/a?b=1` }), { status: 200, body: 'hello GET /a?b=1' });
    await expectCode(exec('fetch', { url: `http://localhost:${port}/` }), 'permission-denied', /HTTP-request-denied/);
    await expectCode(exec('socket', {}), 'permission-denied', /refused by the host: access-denied/);
    assert.equal(await exec('echo', { still: 'serving' }), { still: 'serving' });
  } finally {
    await plugin.close();
    rmSync(outFile, { force: true });
    server.close();
  }
});

test('sandboxed: a plugin declaring no permissions gets permission-denied from every capability', async () => {
  const plugin = await loadPlugin(await built('test/fixtures/sandbox-ts-nocaps'), { cacheDir: CACHE_DIR, pool: 1, log: silentLogSink });
  try {
    await expectCode(plugin.exec('env', { name: 'POCKET_SANDBOX_OK' }), 'permission-denied', /grants no env access/);
    await expectCode(plugin.exec('read', { path: '/data/hello.txt' }), 'permission-denied', /grants no filesystem access/);
    await expectCode(plugin.exec('fetch', { url: 'http://127.0.0.1:1/' }), 'permission-denied', /grants no network access/);
    await expectCode(plugin.exec('kv', { key: 'n' }), 'permission-denied', /grants no storage access; declare it, for example permissions\.storage: \{ buckets: \[cache\] \}/);
    assert.equal(await plugin.exec('echo', { ok: 1 }), { ok: 1 });
  } finally {
    await plugin.close();
  }
});

test.run();
