/**
 * `pocket-wit wit`: the released `pocket:plugin` WIT for other toolchains. The text on stdout is
 * the released files under one package line, and wit-parser accepts it; `--out` and `--dep` lay
 * out the released files byte for byte (their sha256 are wit/RELEASED.json's) where jco and
 * componentize-qjs read them from a path; unknown versions and differing files are refused; and
 * `--wasm` writes a binary WIT package that wit-component decodes to the same package, for every
 * released version (checked with wit-component itself: every world and interface encodes to the
 * same bytes from the decoded WIT as from the source).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentEmbed, componentWit } from '@bytecodealliance/jco';
import { componentize } from 'componentize-qjs';
import { readCustomSections } from '../host/src/component-sections.js';
import { SUPPORTED_WORLD_VERSIONS, WORLD_VERSION, witDir, witSource } from '../host/src/wit-world.js';
import { checkWitPackage, decodedText, decodeWitPackage, encodeWitPackage } from '../tools/wit/package-wasm.js';
import { interfaceNames, oracleText, oracleTextOf, oracleValidate, worldNames } from '../tools/wit/oracle.js';
import { generateTypes } from '../tools/wit/typegen.js';
import { CLI, ROOT, runCli, tempDir } from './helpers.js';

interface FileReport {
  path: string;
  bytes: number;
  status: 'written' | 'unchanged' | 'removed';
}
interface Summary {
  package: string;
  version: string;
  format: 'wit' | 'wasm';
  layout: string;
  out: string;
  files: FileReport[];
  worlds?: string[];
  interfaces?: string[];
}

const released = (JSON.parse(readFileSync(join(ROOT, 'wit/RELEASED.json'), 'utf8')) as { released: Record<string, Record<string, string>> }).released;
const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const witFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.wit')).sort();
const sorted = (names: string[]): string[] => [...names].sort();
const OLD = '0.1.0';

/** The `component-type` section wit-component writes for `world` of `text` (its encoding of that world). */
async function worldEncoding(text: string, world: string): Promise<Uint8Array> {
  const core = await componentEmbed({ dummy: true, witSource: text, world, stringEncoding: 'utf8' });
  return [...readCustomSections(core)].find(([name]) => name.startsWith('component-type'))![1];
}

/** `text` plus a world exporting every interface of its main package (so each is encoded whole). */
function withEveryInterface(text: string): string {
  const nestedAt = /\n\s*package\s+[^;{]+\{/.exec(text);
  const cut = nestedAt ? nestedAt.index : text.length;
  return `${text.slice(0, cut)}\nworld test-every-interface { ${interfaceNames(text).map((i) => `export ${i};`).join(' ')} }\n${text.slice(cut)}`;
}

/** Whether the released files' bodies (package line dropped) make up `text`, in file order. */
function joinsReleased(text: string, version: string): void {
  assert.ok(text.startsWith(`package pocket:plugin@${version};\n`), 'one package line first');
  let at = 0;
  for (const f of witFiles(witDir(version))) {
    const body = readFileSync(join(witDir(version), f), 'utf8').replace(/^\s*package\s+[^;]+;\s*$/m, '').trim();
    const found = text.indexOf(body, at);
    assert.ok(found >= 0, `${f} of ${version} is in the text, after the files before it`);
    at = found + body.length;
  }
  assert.is((text.match(/^\s*package\s/gm) ?? []).length, 1, 'no other package line');
}

for (const version of [WORLD_VERSION, OLD]) {
  test(`stdout: ${version === WORLD_VERSION ? 'the default (newest) version' : `--wit-version ${version}`} is the released files as one package, and wit-parser accepts every world of it`, async () => {
    const r = await runCli(['wit', ...(version === WORLD_VERSION ? [] : ['--wit-version', version])]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, witSource(version).endsWith('\n') ? witSource(version) : `${witSource(version)}\n`);
    joinsReleased(r.stdout, version);
    const verdict = await oracleValidate(oracleTextOf(r.stdout, `wit ${version}`));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.message);
    assert.equal(sorted(worldNames(r.stdout)), version === '0.2.1' ? ['command', 'plugin'] : ['plugin']);
    assert.equal(sorted(interfaceNames(r.stdout)), ['host', 'node', 'types']);
  });
}

test('wit --version X is --wit-version X (--version=X too); --version alone and before another command is pocket-wit\'s', async () => {
  for (const args of [['wit', '--version', '0.1.0'], ['wit', '--version=v0.1.0']]) {
    const r = await runCli(args);
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('package pocket:plugin@0.1.0;\n'), `${args.join(' ')}: ${r.stdout.slice(0, 80)}`);
  }
  const unknown = await runCli(['wit', '--version', '9.9']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /error\[not-found\]: pocket:plugin@9\.9 is not a released version/);
  for (const args of [['wit', '--version'], ['--version']]) {
    const own = await runCli(args);
    assert.is(own.code, 0, own.stderr);
    assert.match(own.stdout, /^pocket-wit\/\d+\.\d+\.\d+ /, args.join(' '));
  }
});

test('--json without --out: the text in a summary; v-prefixed versions are taken', async () => {
  const r = await runCli(['wit', '--wit-version', 'v0.2.0', '--json']);
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary & { text: string; bytes: number };
  assert.is(s.package, 'pocket:plugin@0.2.0');
  assert.is(s.layout, 'stdout');
  assert.is(s.text, witSource('0.2.0'));
  assert.is(s.bytes, Buffer.byteLength(s.text));
});

test('--out DIR: the released files at the root of DIR (hashes as recorded); again: unchanged; jco and componentize-qjs read it from the path', async () => {
  const dir = join(tempDir('pocket-wit-wit-out-'), 'wit');
  const r = await runCli(['wit', '--out', dir, '--json']);
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.is(s.layout, 'root');
  assert.is(s.out, dir);
  assert.equal(witFiles(dir), Object.keys(released[WORLD_VERSION]!).sort());
  assert.equal(readdirSync(dir).sort(), witFiles(dir), 'nothing but the .wit files (no deps/: the package has none)');
  for (const f of witFiles(dir)) assert.is(sha256(readFileSync(join(dir, f))), released[WORLD_VERSION]![f], `${f} is the released file`);
  assert.equal(s.files.map((f) => [f.path, f.bytes, f.status]), witFiles(dir).map((f) => [join(dir, f), readFileSync(join(dir, f)).length, 'written']));

  const again = await runCli(['wit', '--out', dir, '--json']);
  assert.is(again.code, 0, again.stderr);
  assert.ok((JSON.parse(again.stdout) as Summary).files.every((f) => f.status === 'unchanged'));
  const text = await runCli(['wit', '--out', dir]);
  assert.match(text.stdout, /^unchanged: pocket:plugin@0\.2\.1 in /);
  assert.match(text.stdout, /componentize-js --wit .* --world-name plugin/);

  // jco reads the folder (given a preopen: preview2-shim 0.26.1 grants none by itself).
  const types = await generateTypes(dir, { side: 'guest', world: 'plugin' });
  assert.ok([...types.keys()].some((k) => k.includes('pocket-plugin-node')), [...types.keys()].join(', '));
  // componentize-qjs takes the folder as its witPath.
  const js = `export const node = {
    metadata() { return { name: 'x', version: '0.0.0', description: '', nodes: [], permissions: { env: [], filesystem: [], network: [] } }; },
    prep(t, c, i) { return i; }, exec(t, c, p) { return p; }, post(t, c, i, p, e) { return { output: e, next: '' }; },
  };`;
  const built = await componentize({ witPath: dir, jsSource: js, world: 'plugin', stubWasi: true, sync: true });
  assert.match(await componentWit(new Uint8Array(built.component)), /export pocket:plugin\/node@0\.2\.1;/);
});

test('--out DIR --dep: DIR/deps/pocket-plugin/, beside a project world that includes pocket:plugin; wit-parser and jco resolve it', async () => {
  const project = tempDir('pocket-wit-wit-dep-');
  const own = `package my:app@0.1.0;\n\nworld app {\n  include pocket:plugin/plugin@${OLD};\n  import app-log: func(line: string);\n}\n`;
  writeFileSync(join(project, 'app.wit'), own);
  const r = await runCli(['wit', '--out', project, '--dep', '--wit-version', OLD, '--json']);
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  const dep = join(project, 'deps', 'pocket-plugin');
  assert.is(s.layout, 'dep');
  assert.is(s.out, dep);
  assert.equal(witFiles(dep), Object.keys(released[OLD]!).sort());
  for (const f of witFiles(dep)) assert.is(sha256(readFileSync(join(dep, f))), released[OLD]![f]);
  assert.is(readFileSync(join(project, 'app.wit'), 'utf8'), own, 'the project world is left alone');
  const verdict = await oracleValidate(await oracleText(project));
  assert.ok(verdict.ok, verdict.ok ? '' : verdict.message);
  const types = await generateTypes(project, { side: 'guest', world: 'app' });
  assert.ok([...types.keys()].some((k) => k.includes('pocket-plugin-node')), [...types.keys()].join(', '));
  const text = await runCli(['wit', '--out', project, '--dep', '--wit-version', OLD]);
  assert.match(text.stdout, /include pocket:plugin\/plugin@0\.1\.0;/);
});

test('an unknown version: error[not-found] naming the released versions; usage errors', async () => {
  const r = await runCli(['wit', '--wit-version', '0.9.0']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[not-found\]: pocket:plugin@0\.9\.0 is not a released version; the released versions are 0\.1\.0, 0\.2\.0, 0\.2\.1/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  const j = await runCli(['wit', '--wit-version', '1', '--json']);
  assert.is(j.code, 1);
  const e = (JSON.parse(j.stdout) as { error: { code: string; details: { released: string[] } } }).error;
  assert.is(e.code, 'not-found');
  assert.equal(e.details.released, [...SUPPORTED_WORLD_VERSIONS]);
  for (const args of [['--dep'], ['--wasm', '--json'], ['--wasm', '--dep', '--out', tempDir()]]) {
    const u = await runCli(['wit', ...args]);
    assert.is(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /error\[usage\]/);
  }
});

test('differing files are not overwritten without --force; --force replaces them and removes other .wit files', async () => {
  const dir = tempDir('pocket-wit-wit-force-');
  assert.is((await runCli(['wit', '--out', dir])).code, 0);
  writeFileSync(join(dir, 'extra.wit'), 'interface extra {}\n');
  const before = witFiles(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
  const r = await runCli(['wit', '--out', dir, '--wit-version', OLD]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-input\]: not writing pocket:plugin@0\.1\.0: 5 existing files would change/);
  assert.match(r.stderr, /host\.wit \(differs\)/);
  assert.match(r.stderr, /extra\.wit \(another \.wit file: it would join the package\)/);
  assert.match(r.stderr, /give --force/);
  assert.equal(witFiles(dir).map((f) => readFileSync(join(dir, f), 'utf8')), before, 'nothing was written');
  const forced = await runCli(['wit', '--out', dir, '--wit-version', OLD, '--force', '--json']);
  assert.is(forced.code, 0, forced.stderr);
  const statuses = Object.fromEntries((JSON.parse(forced.stdout) as Summary).files.map((f) => [f.path.slice(dir.length + 1), f.status]));
  assert.equal(statuses, { 'extra.wit': 'removed', 'host.wit': 'written', 'node.wit': 'written', 'types.wit': 'written', 'world.wit': 'written' });
  for (const f of witFiles(dir)) assert.is(sha256(readFileSync(join(dir, f))), released[OLD]![f]);
});

for (const version of SUPPORTED_WORLD_VERSIONS) {
  test(`--wasm ${version}: a binary WIT package that wit-component decodes to the same worlds and interfaces, each encoding to the same bytes`, async () => {
    const dir = tempDir('pocket-wit-wit-wasm-');
    const r = await runCli(['wit', '--wasm', '--wit-version', version, '--out', dir, '--json']);
    assert.is(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    const file = join(dir, `pocket-plugin-${version}.wasm`);
    assert.is(s.out, file);
    const bytes = new Uint8Array(readFileSync(file));
    assert.equal([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00], 'a component');
    assert.equal(s.files, [{ path: file, bytes: bytes.length, status: 'written' }]);

    const source = witSource(version);
    const decoded = await decodeWitPackage(bytes, `pocket:plugin@${version}`);
    assert.equal([...decoded.deps.keys()], [], 'no dependency packages');
    assert.match(decoded.text, new RegExp(`^package pocket:plugin@${version.replaceAll('.', '\\.')};`));
    assert.equal(sorted(worldNames(decoded.text)), sorted(worldNames(source)));
    assert.equal(sorted(interfaceNames(decoded.text)), sorted(interfaceNames(source)));
    assert.equal(sorted(s.worlds!), sorted(worldNames(source)));
    assert.equal(sorted(s.interfaces!), sorted(interfaceNames(source)));
    // wit-component encodes each world, and every interface (one world exporting them all), of the
    // decoded WIT exactly as of the released WIT: same types, functions, names and order.
    for (const world of worldNames(source)) {
      assert.equal(await worldEncoding(decoded.text, world), await worldEncoding(source, world), `world ${world}`);
    }
    assert.equal(await worldEncoding(withEveryInterface(decoded.text), 'test-every-interface'), await worldEncoding(withEveryInterface(source), 'test-every-interface'), 'every interface');
    const verdict = await oracleValidate(oracleTextOf(decoded.text));
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.message);
    // Encoding the decoded WIT gives the same binary back.
    assert.equal((await encodeWitPackage(decoded.text)).bytes, bytes);
  });
}

test('--wasm to a pipe: the same bytes on stdout; --out FILE.wasm: that file; a differing file needs --force', async () => {
  const piped = spawnSync(process.execPath, [CLI, 'wit', '--wasm'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(piped.status, 0, piped.stderr.toString());
  const dir = tempDir('pocket-wit-wit-file-');
  const file = join(dir, 'sub', 'pocket.wasm');
  const r = await runCli(['wit', '--wasm', '-o', file]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote pocket:plugin@0\.2\.1 as a binary WIT package \(worlds plugin, command; interfaces host, node, types\)/);
  assert.equal(new Uint8Array(readFileSync(file)), new Uint8Array(piped.stdout));
  const old = await runCli(['wit', '--wasm', '-o', file, '--wit-version', OLD]);
  assert.is(old.code, 1);
  assert.match(old.stderr, /error\[invalid-input\]: not writing pocket:plugin@0\.1\.0: 1 existing file would change/);
  assert.is((await runCli(['wit', '--wasm', '-o', file, '--wit-version', OLD, '--force'])).code, 0);
  assert.ok(existsSync(file));
});

test('the encoder: an interface no world uses, a foreign dependency, a resource and functions of imported interfaces', async () => {
  const text = `package test:pkg@1.2.3;

interface base {
  resource counter {
    constructor(start: u32);
    bump: func() -> u32;
  }
  type id = u64;
  make: func(id: id) -> counter;
}

interface mid {
  use base.{counter, id};
  use test:dep/shapes@0.1.0.{point};
  move: func(c: borrow<counter>, to: point) -> id;
}

interface lonely {
  use mid.{id};
  variant v { a(id), b }
  ping: func(x: v) -> option<id>;
}

world w {
  import mid;
  export run: func() -> u32;
}

package test:dep@0.1.0 {
  interface shapes {
    record point { x: s32, y: s32 }
    origin: func() -> point;
  }
}
`;
  const encoded = await encodeWitPackage(text);
  assert.equal(encoded.worlds, ['w']);
  assert.equal(encoded.interfaces, ['base', 'mid', 'lonely']);
  const decoded = await checkWitPackage(encoded);
  assert.equal([...decoded.deps.keys()], ['deps/test-dep-0.1.0/package.wit']);
  assert.equal(sorted(interfaceNames(decoded.text)), ['base', 'lonely', 'mid'], 'the interface no world uses is in the package');
  const full = decodedText(decoded);
  for (const world of ['w']) assert.equal(await worldEncoding(full, world), await worldEncoding(text, world));
  assert.equal(await worldEncoding(withEveryInterface(full), 'test-every-interface'), await worldEncoding(withEveryInterface(text), 'test-every-interface'));
});

test.run();
