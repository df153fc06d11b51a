/**
 * `pocket-wit check` on real components (every example, a 0.1.0 build, another world, an
 * unsupported version, a plugin whose WIT types differ from the host's), `pocket-wit types`
 * against the committed generated files, and the CI script of docs/CI.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentize } from 'componentize-qjs';
import { writePluginSection } from '../host/src/plugin-section.js';
import { validateManifest } from '../host/src/manifest.js';
import { built, CLI, ROOT, runCli, tempDir } from './helpers.js';

interface Report {
  compatible: boolean;
  world?: string;
  typesFrom?: string;
  plugin?: { name: string; version: string };
  imports: string[];
  exports: string[];
  problems: { kind: string; path: string; message: string }[];
}

const json = (stdout: string): Report => JSON.parse(stdout) as Report;
const dir = tempDir();

test('every example plugin passes check against this host', async () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((d) => {
    try {
      return readFileSync(join(ROOT, 'examples', d, 'manifest.yaml')).length > 0;
    } catch {
      return false;
    }
  });
  assert.equal(examples.sort(), ['c-word-stats', 'json-transformer', 'sentiment-analyzer', 'word-counter']);
  let commands = 0;
  for (const name of examples) {
    const r = await runCli(['check', await built(`examples/${name}`), '--json']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = json(r.stdout);
    assert.is(report.compatible, true, `${name}: ${JSON.stringify(report.problems)}`);
    if (report.world === 'pocket:plugin/command@0.2.1') {
      // A command plugin (Go): WASI in, wasi:cli/run out, the nodes over stdin/stdout.
      assert.ok(report.exports.some((e) => e.startsWith('wasi:cli/run@')), report.exports.join());
      assert.ok(report.imports.every((i) => i.startsWith('wasi:')), report.imports.join());
      commands++;
      continue;
    }
    assert.is(report.world, 'pocket:plugin@0.2.1', name);
    assert.is(report.typesFrom, 'embedded');
    assert.ok(report.imports.includes('pocket:plugin/host@0.2.1'), report.imports.join());
    assert.ok(report.exports.includes('pocket:plugin/node@0.2.1'), report.exports.join());
  }
  assert.is(commands, 1, 'json-transformer (Go) is the one command plugin');
  const text = await runCli(['check', join(ROOT, 'examples/sentiment-analyzer')]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^plugin sentiment-analyzer@1\.0\.0 \(/);
  // The project folder resolves to its dist/ build, which may be of any supported 0.2 version.
  assert.match(text.stdout, /targets pocket:plugin@0\.2\.[01]; types from the WIT it carries\n/);
  assert.match(text.stdout, /\ncompatible\n$/);
});

test('a plugin built for 0.1.0 is compatible (the host runs 0.1.0), but not with a host of only 0.2.0', async () => {
  const old = await built('test/fixtures/kitchen-sink', 'quickjs', '0.1.0');
  const ok = await runCli(['check', old, '--json']);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.is(json(ok.stdout).world, 'pocket:plugin@0.1.0');
  const strict = await runCli(['check', old, '--world', join(ROOT, 'wit/v0.2.0')]);
  assert.is(strict.code, 1, strict.stdout + strict.stderr);
  assert.match(strict.stdout, /unsupported-version pocket:plugin@0\.1\.0\n {4}the plugin targets pocket:plugin@0\.1\.0, but the host runs pocket:plugin@0\.2\.0; rebuild the plugin with `pocket-wit build --wit-version 0\.2\.0`/);
});

test('a component of another world is not a plugin; the message says how to build one', async () => {
  const fixture = join(ROOT, 'test/fixtures/other-world');
  const { component } = await componentize({ witPath: join(fixture, 'world.wit'), jsSource: readFileSync(join(fixture, 'greeter.js'), 'utf8'), world: 'greeter', stubWasi: true, sync: true, optSize: true });
  const file = join(dir, 'greeter.wasm');
  writeFileSync(file, component);
  const r = await runCli(['check', file, '--json']);
  assert.is(r.code, 1);
  const report = json(r.stdout);
  assert.is(report.compatible, false);
  assert.equal(report.problems.map((p) => p.kind), ['not-a-plugin']);
  assert.match(report.problems[0]!.message, /a Pocket plugin exports pocket:plugin\/node@<version>; build it with `pocket-wit build`/);
});

test('a plugin for a version this host does not know: unsupported-version, with the fix', async () => {
  const wit = join(dir, 'wit-9');
  mkdirSync(wit);
  for (const f of readdirSync(join(ROOT, 'wit/v0.2.0'))) writeFileSync(join(wit, f), readFileSync(join(ROOT, 'wit/v0.2.0', f), 'utf8').replace('pocket:plugin@0.2.0', 'pocket:plugin@9.0.0'));
  const js = `import host from 'pocket:plugin/host@9.0.0';
    export const node = { metadata() { throw 'x'; }, prep() { return '{}'; }, exec() { return '{}'; }, post() { return { output: '{}', next: '' }; } };`;
  const { component } = await componentize({ witPath: wit, jsSource: js, world: 'plugin', stubWasi: true, sync: true, optSize: true });
  const file = join(dir, 'v9.wasm');
  writeFileSync(file, component);
  const r = await runCli(['check', file]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /not compatible: 1 problem\n/);
  assert.match(r.stdout, /the plugin targets pocket:plugin@9\.0\.0, but the host runs pocket:plugin@0\.1\.0, pocket:plugin@0\.2\.0, pocket:plugin@0\.2\.1; rebuild the plugin with `pocket-wit build --wit-version 0\.2\.1`, or upgrade the host/);
});

test('a plugin whose WIT types differ from the host\'s (same version number) is reported item by item', async () => {
  // A real component built against an edited copy of 0.2.0, stamped as `pocket-wit build` would.
  const wit = join(dir, 'wit-edited');
  mkdirSync(wit);
  for (const f of readdirSync(join(ROOT, 'wit/v0.2.0'))) {
    let text = readFileSync(join(ROOT, 'wit/v0.2.0', f), 'utf8');
    text = text.replace('store-delete: func(key: string) -> bool;', 'store-delete: func(key: string) -> u32;');
    writeFileSync(join(wit, f), text);
  }
  const js = `import host from 'pocket:plugin/host@0.2.0';
    export const node = { metadata() { throw 'x'; }, prep() { return String(host.storeDelete('k')); }, exec() { return '{}'; }, post() { return { output: '{}', next: '' }; } };`;
  const { component } = await componentize({ witPath: wit, jsSource: js, world: 'plugin', stubWasi: true, sync: true, optSize: true });
  const witText = readdirSync(wit).sort().map((f) => readFileSync(join(wit, f), 'utf8').replace(/^package [^;]+;\n/m, '')).join('\n');
  const manifest = validateManifest({ name: 'edited', version: '1.0.0', description: 'built against an edited WIT' }, 'test');
  const stamped = writePluginSection(new Uint8Array(component), { format: 1, world: 'pocket:plugin@0.2.0', engine: 'quickjs', manifest, wit: `package pocket:plugin@0.2.0;\n${witText}` });
  const file = join(dir, 'edited.wasm');
  writeFileSync(file, stamped);
  const r = await runCli(['check', file, '--json']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const report = json(r.stdout);
  assert.is(report.typesFrom, 'embedded');
  assert.equal(report.problems.map((p) => [p.kind, p.path]), [['type-mismatch', 'interface:host/func:store-delete']]);
  assert.match(report.problems[0]!.message, /plugin has .*u32.*host has .*bool/);
});

test('check: usage errors exit 2 with the fix', async () => {
  const none = await runCli(['check']);
  assert.is(none.code, 2);
  assert.match(none.stderr, /give a plugin \(\.wasm or project folder\) to check, or --old <wit> --new <wit>/);
  const half = await runCli(['check', '--old', join(ROOT, 'wit/v0.1.0')]);
  assert.is(half.code, 2);
  assert.match(half.stderr, /--old and --new go together/);
  const missing = await runCli(['check', '--old', join(dir, 'nope.wit'), '--new', join(ROOT, 'wit/v0.2.0')]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\]/);
});

test('check --old wit/v0.1.0 --new wit/v0.2.0: one addition to the host, exit 0', async () => {
  const r = await runCli(['check', '--old', join(ROOT, 'wit/v0.1.0'), '--new', join(ROOT, 'wit/v0.2.0'), '--json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const diff = JSON.parse(r.stdout) as { ok: boolean; changes: { kind: string; path: string; breaks: string }[] };
  assert.is(diff.ok, true);
  const real = diff.changes.filter((c) => c.kind !== 'version-changed');
  assert.equal(real.map((c) => [c.kind, c.path, c.breaks]), [['function-added', 'interface:host/func:cancelled', 'hosts']]);
  const text = await runCli(['check', '--old', join(ROOT, 'wit/v0.1.0'), '--new', join(ROOT, 'wit/v0.2.0')]);
  assert.match(text.stdout, /interface:host\/func:cancelled/);
});

test('check --old/--new takes built components: their WIT is extracted and compared', async () => {
  const old = await built('test/fixtures/kitchen-sink', 'quickjs', '0.1.0');
  const now = await built('test/fixtures/kitchen-sink', 'quickjs');
  const r = await runCli(['check', '--old', old, '--new', now, '--json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const diff = JSON.parse(r.stdout) as { package: string; changes: { kind: string; path: string; breaks: string }[]; semver: { oldVersion: string; newVersion: string } };
  assert.is(diff.package, 'pocket:plugin');
  assert.equal([diff.semver.oldVersion, diff.semver.newVersion], ['0.1.0', '0.2.1']);
  assert.equal(diff.changes.map((c) => [c.kind, c.path, c.breaks]), [
    ['function-added', 'interface:host/func:cancelled', 'hosts'],
    ['world-added', 'world:command', 'none'],
  ]);
  const back = await runCli(['check', '--old', now, '--new', old]);
  assert.is(back.code, 1, 'going back from 0.2.1 to 0.1.0 is a version decrease');
});

test('check --old/--new with broken WIT: error[invalid-wit] with file:line:col', async () => {
  const bad = join(dir, 'bad.wit');
  writeFileSync(bad, 'package a:b@1.0.0;\n\ninterface i {\n  f: func(x: nosuch);\n}\n');
  const r = await runCli(['check', '--old', bad, '--new', join(ROOT, 'wit/v0.2.0')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-wit\]/);
  assert.match(r.stderr, /bad\.wit:4:\d+: /);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test('pocket-wit types writes what the project commits in its generated folders', async () => {
  for (const [side, folder] of [['host', 'host/src/generated/wit/v0.2.0'], ['guest', 'guest-sdk/ts/src/generated/wit/v0.2.0']] as const) {
    const out = join(dir, `types-${side}`);
    const r = await runCli(['types', join(ROOT, 'wit/v0.2.0'), '--out', out, `--${side}`, '--world', 'plugin', '--json']);
    assert.is(r.code, 0, r.stderr);
    const written = (JSON.parse(r.stdout) as { files: string[] }).files.map((f) => f.slice(out.length + 1)).sort();
    assert.equal(written, ['interfaces/pocket-plugin-host.d.ts', 'interfaces/pocket-plugin-node.d.ts', 'interfaces/pocket-plugin-types.d.ts', 'plugin.d.ts']);
    for (const f of written) {
      const body = (p: string): string => readFileSync(p, 'utf8').split('\n').slice(1).join('\n'); // the header line names the generator
      assert.is(body(join(out, f)), body(join(ROOT, folder, f)), `${side} ${f}`);
    }
  }
  const bad = await runCli(['types', join(ROOT, 'wit/v0.2.0')]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--out <dir> is required/);
});

function sh(script: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', [script], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', POCKET_WIT: `${process.execPath} ${CLI}`, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('the CI script of docs/CI.md: passes on an example and a compatible WIT change, fails on a breaking one', async () => {
  const script = join(ROOT, 'scripts/ci/check-plugin.sh');
  const good = await sh(script, { PLUGIN_DIR: join(ROOT, 'examples/sentiment-analyzer'), OUT_DIR: tempDir(), WIT_OLD: join(ROOT, 'wit/v0.1.0'), WIT_NEW: join(ROOT, 'wit/v0.2.0') });
  assert.is(good.code, 0, good.out);
  assert.match(good.out, /built sentiment-analyzer@1\.0\.0/);
  assert.match(good.out, /\ncompatible\n/);
  assert.match(good.out, /all checks passed/);
  const bad = await sh(script, {
    PLUGIN_DIR: join(ROOT, 'examples/sentiment-analyzer'),
    OUT_DIR: tempDir(),
    WIT_OLD: join(ROOT, 'test/fixtures/wit-real/old'),
    WIT_NEW: join(ROOT, 'test/fixtures/wit-real/08-import-function-added-without-minor'),
  });
  assert.is(bad.code, 1, bad.out);
  assert.not.match(bad.out, /all checks passed/);
  const strict = await sh(script, { PLUGIN_DIR: join(ROOT, 'examples/sentiment-analyzer'), OUT_DIR: tempDir(), HOST_WIT: join(ROOT, 'wit/v0.1.0') });
  assert.is(strict.code, 1, strict.out);
  assert.match(strict.out, /unsupported-version/);
});

test.run();
