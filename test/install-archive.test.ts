/**
 * Installing packed plugins (`.tgz`) through the real CLI, with archives made at test time:
 * nothing in an archive is built or run before consent (an archive must carry its component,
 * checked against its manifest), unpacking refuses unsafe entries and archives over the limits,
 * and the unpack folder is always removed. Then the consent recorded in the lock file: later
 * loads get at most what was consented to.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create, extract, Header } from 'tar';
import { DEFAULT_UNPACK_LIMITS, grantForInstalled, isPluginError, PluginError, UNPACK_PREFIX, withUnpackedArchive } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { expectError, ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-archive-');
// The CLI's temp folder: only the CLI runs under it, so an unpack folder left behind shows.
const cliTmp = tempDir('pocket-wit-archive-tmp-');
const leftovers = () => readdirSync(cliTmp).filter((e) => e.startsWith(UNPACK_PREFIX));

function home(name: string): string {
  const dir = join(work, `home-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const cli = (args: string[], pocketHome: string, env: Record<string, string> = {}) =>
  runCli(args, { cwd: work, env: { POCKET_HOME: pocketHome, POCKET_PLUGIN_PATH: '', TMPDIR: cliTmp, ...env } });

/** A .tgz made with `tar` from `files` (path → contents; `null` makes a directory), under `package/`. */
async function archive(name: string, files: Record<string, string | Buffer | null>, prefix = 'package'): Promise<string> {
  const stage = join(work, `stage-${name}`);
  for (const [path, contents] of Object.entries(files)) {
    const full = join(stage, prefix, path);
    if (contents === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, contents);
  }
  const file = join(work, `${name}.tgz`);
  await create({ gzip: true, file, cwd: stage, portable: true }, [prefix]);
  return file;
}

const SENTIMENT_MANIFEST = readFileSync(join(ROOT, 'examples/sentiment-analyzer/manifest.yaml'), 'utf8');
const flowFile = (type: string) => {
  const file = join(work, `flow-${type}.yaml`);
  writeFileSync(file, `name: one-${type}\nstart: a\nnodes: [{ name: a, type: ${type} }]\n`);
  return file;
};

let packedTgz = '';
let component: Buffer;

test('pack builds the project and carries the component as package/plugin.wasm next to the manifest', async () => {
  const project = join(work, 'sentiment');
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (s) => !s.includes('/dist') });
  packedTgz = join(work, 'sentiment.tgz');
  const r = await cli(['pack', project, '-o', packedTgz], home('pack'));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^packed manifest\.yaml, plugin\.wasm, src → .*sentiment\.tgz\n$/);
  const out = join(work, 'sentiment-unpacked');
  mkdirSync(out);
  await extract({ file: packedTgz, cwd: out });
  assert.equal(readdirSync(join(out, 'package')).sort(), ['manifest.yaml', 'plugin.wasm', 'src']);
  component = readFileSync(join(out, 'package/plugin.wasm'));
  assert.equal([...component.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00], 'a component (layer 1)');
});

test('a packed archive installs without building, leaves no unpack folder, and runs', async () => {
  const h = home('packed');
  const r = await cli(['install', packedTgz, '--yes'], h);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^installed sentiment-analyzer 1\.0\.0 → /);
  assert.not.match(r.stderr, /bundling|componentizing|running make|compiling/);
  assert.match(r.stderr, /permissions: 10MB 5s/);
  assert.equal(leftovers(), []);
  const run = await cli(['flow', flowFile('sentiment'), '--input', '{"text":"amazing and wonderful"}', '--json'], h);
  assert.is(run.code, 0, run.stderr);
  assert.is((JSON.parse(run.stdout) as { output: { sentiment: string } }).output.sentiment, 'positive');
});

/** A C project whose Makefile would create `marker` when built. */
function cFiles(marker: string): Record<string, string> {
  return {
    'Makefile': `all:\n\ttouch ${marker}\n`,
    'src/plugin.c': '#include "pocket_plugin.h"\n',
  };
}

test('a C project archive without a component is refused; its Makefile never runs', async () => {
  const marker = join(work, 'make-ran-1');
  // The control: built from its directory, the same project does run make (the marker appears).
  const dir = join(work, 'c-control');
  for (const [path, text] of Object.entries({ ...cFiles(marker), 'manifest.yaml': 'name: c-evil\nversion: 1.0.0\n' })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  await cli(['build', dir], home('c-control'));
  assert.ok(existsSync(marker), 'the Makefile is live: building the directory ran it');
  rmSync(marker);

  const tgz = await archive('c-evil', { 'manifest.yaml': 'name: c-evil\nversion: 1.0.0\n', ...cFiles(marker) });
  const h = home('c-evil');
  const r = await cli(['install', tgz, '--yes'], h);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-plugin\]: c-evil\.tgz carries no built component \(package\/plugin\.wasm\); installing an archive never builds it from its sources — ask its author to re-pack it with a current `pocket-wit pack <dir>`/);
  assert.not.match(r.stderr, /\n\s+at .*:\d+:\d+/, 'no stack trace');
  assert.not.ok(existsSync(marker), 'make never ran');
  assert.not.ok(existsSync(join(h, 'plugins', 'pocket-lock.json')), 'nothing installed');
  assert.equal(leftovers(), []);
});

test('a C project archive with a component installs it as it is; its Makefile never runs', async () => {
  const marker = join(work, 'make-ran-2');
  // The component is the sentiment plugin's, so the manifest names it; the sources are a C project.
  const tgz = await archive('c-prebuilt', { 'manifest.yaml': SENTIMENT_MANIFEST, 'plugin.wasm': component, ...cFiles(marker) });
  const h = home('c-prebuilt');
  const r = await cli(['install', tgz, '--yes'], h);
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(existsSync(marker), 'make never ran');
  assert.not.match(r.stderr, /running make|compiling C/);
  const run = await cli(['flow', flowFile('sentiment'), '--input', '{"text":"awful"}', '--json'], h);
  assert.is(run.code, 0, run.stderr);
  assert.equal(leftovers(), []);
});

test('a hand-made TypeScript archive without a component is refused with a clear error', async () => {
  const tgz = await archive('ts-sources', { 'manifest.yaml': 'name: ts-only\nversion: 1.0.0\n', 'src/index.ts': 'export default {};\n' });
  const r = await cli(['install', tgz, '--yes'], home('ts-sources'));
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-plugin\]: ts-sources\.tgz carries no built component .*re-pack it with a current `pocket-wit pack <dir>`/);
  assert.equal(leftovers(), []);
});

test('the component must be a component built for the archive manifest\'s plugin and version', async () => {
  const cases: [string, Record<string, string | Buffer>, RegExp][] = [
    ['other-name', { 'manifest.yaml': 'name: other\nversion: 1.0.0\n', 'plugin.wasm': component }, /its manifest says other@1\.0\.0 but plugin\.wasm was built as sentiment-analyzer@1\.0\.0; re-pack/],
    ['other-version', { 'manifest.yaml': SENTIMENT_MANIFEST.replace('version: 1.0.0', 'version: 9.9.9'), 'plugin.wasm': component }, /says sentiment-analyzer@9\.9\.9 but plugin\.wasm was built as sentiment-analyzer@1\.0\.0/],
    ['not-wasm', { 'manifest.yaml': 'name: x\nversion: 1.0.0\n', 'plugin.wasm': '#!/bin/sh\necho hi\n' }, /plugin\.wasm is not a WebAssembly file/],
    ['no-manifest', { 'plugin.wasm': component }, /holds no plugin \(no manifest\.yaml/],
  ];
  for (const [name, files, expected] of cases) {
    const r = await cli(['install', await archive(name, files), '--yes'], home(name));
    assert.is(r.code, 1, `${name}: ${r.stdout}`);
    assert.match(r.stderr, /error\[invalid-plugin\]/, name);
    assert.match(r.stderr, expected, name);
  }
  assert.equal(leftovers(), []);
});

test('an archive over the entry-count limit is refused, naming the limit', async () => {
  const files: Record<string, string> = { 'manifest.yaml': SENTIMENT_MANIFEST };
  for (let i = 0; i < DEFAULT_UNPACK_LIMITS.maxEntries; i++) files[`src/f${i}.txt`] = '';
  const r = await cli(['install', await archive('many', files), '--yes'], home('many'));
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[size-limit\]: .*many\.tgz was refused: it holds more than 1,000 entries \(the entry-count limit\)/);
  assert.equal(leftovers(), []);
});

test('an archive expanding beyond 64 MB is refused, naming the limit, without expanding it', async () => {
  const tgz = await archive('bomb', { 'manifest.yaml': SENTIMENT_MANIFEST, 'src/zeros.bin': Buffer.alloc(65 * 1024 * 1024) });
  assert.ok(readFileSync(tgz).length < 1024 * 1024, 'the archive itself is small');
  const r = await cli(['install', tgz, '--yes'], home('bomb'));
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[size-limit\]: .*bomb\.tgz was refused: it expands to more than 64 MB \(the expanded-size limit\)/);
  assert.equal(leftovers(), []);
});

/** `tar` never packs a device, so this archive is written header by header. */
async function deviceArchive(): Promise<string> {
  const header = (path: string, type: 'Directory' | 'CharacterDevice') => {
    const h = new Header({ path, type, mode: type === 'Directory' ? 0o755 : 0o644, size: 0, mtime: new Date(0), uid: 0, gid: 0, devmaj: 5, devmin: 0 });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    return block;
  };
  const file = join(work, 'device.tgz');
  writeFileSync(file, gzipSync(Buffer.concat([header('package/', 'Directory'), header('package/tty', 'CharacterDevice'), Buffer.alloc(1024)])));
  return file;
}

test('symlinks, hard links, devices, ../ and absolute paths in an archive are refused', async () => {
  const make = async (name: string, fill: (pkg: string) => Promise<string[]> | string[], opts: { cwd?: (stage: string) => string; preservePaths?: boolean } = {}) => {
    const stage = join(work, `stage-${name}`);
    const pkg = join(stage, 'package');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'manifest.yaml'), SENTIMENT_MANIFEST);
    writeFileSync(join(pkg, 'plugin.wasm'), component);
    const entries = await fill(pkg);
    const file = join(work, `${name}.tgz`);
    await create({ gzip: true, file, cwd: opts.cwd?.(stage) ?? stage, portable: true, ...(opts.preservePaths ? { preservePaths: true } : {}) }, entries);
    return file;
  };
  const secret = join(work, 'host-secret.txt');
  writeFileSync(secret, 'secret');
  const cases: [string, string, RegExp][] = [
    ['symlink', await make('symlink', (pkg) => (symlinkSync(secret, join(pkg, 'README.md')), ['package'])), /entry package\/README\.md is a symbolic link \(to .*host-secret\.txt\)/],
    ['hardlink', await make('hardlink', (pkg) => (linkSync(join(pkg, 'plugin.wasm'), join(pkg, 'copy.wasm')), ['package'])), /entry package\/(copy|plugin)\.wasm is a hard link/],
    ['dotdot', await make('dotdot', () => (writeFileSync(join(work, 'stage-dotdot', 'evil.txt'), 'x'), ['.', '../stage-dotdot/evil.txt']), { preservePaths: true }), /entry \.\.\/stage-dotdot\/evil\.txt climbs out of the archive with \.\./],
    ['absolute', await make('absolute', () => ['package', secret], { preservePaths: true }), new RegExp(`entry ${secret.replace(/[.]/g, '\\.')} has an absolute path`)],
    ['device', await deviceArchive(), /entry package\/tty is a character device/],
  ];
  for (const [name, tgz, expected] of cases) {
    const h = home(`unsafe-${name}`);
    const r = await cli(['install', tgz, '--yes'], h);
    assert.is(r.code, 1, `${name}: ${r.stdout}`);
    assert.match(r.stderr, /error\[invalid-plugin\]: .* was refused: /, name);
    assert.match(r.stderr, expected, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /an archive may hold only regular files and directories under its root/, name);
    assert.not.ok(existsSync(join(h, 'plugins', 'pocket-lock.json')), `${name}: nothing installed`);
  }
  assert.equal(leftovers(), []);
});

test('withUnpackedArchive: limits can be set in code; the folder is removed after success and after failure', async () => {
  const tgz = await archive('small', { 'manifest.yaml': 'name: s\nversion: 1.0.0\n', 'a.txt': 'aaaa', 'b.txt': 'b'.repeat(2000) });
  let seen = '';
  const value = await withUnpackedArchive(tgz, async (dir) => {
    seen = dir;
    assert.is(readFileSync(join(dir, 'package/a.txt'), 'utf8'), 'aaaa');
    return 42;
  });
  assert.is(value, 42);
  assert.match(seen, new RegExp(`${UNPACK_PREFIX}[^/]+$`));
  assert.not.ok(existsSync(seen), 'removed after success');

  await expectError(
    withUnpackedArchive(tgz, async (dir) => {
      seen = dir;
      throw new PluginError('invalid-plugin', 'the caller failed');
    }),
    'invalid-plugin',
    /the caller failed/,
  );
  assert.not.ok(existsSync(seen), 'removed after the caller threw');

  const refused = await expectError(withUnpackedArchive(tgz, async () => assert.unreachable('never called'), { maxEntries: 3 }), 'size-limit', /small\.tgz was refused: it holds more than 3 entries \(the entry-count limit\)/);
  assert.equal((refused.details as { limit: string }).limit, 'maxEntries');
  await expectError(withUnpackedArchive(tgz, async () => assert.unreachable('never called'), { maxBytes: 1000 }), 'size-limit', /small\.tgz was refused: it expands to more than 1000 bytes \(the expanded-size limit\)/);
  const garbage = join(work, 'garbage.tgz');
  writeFileSync(garbage, 'not an archive at all');
  const e = await expectError(withUnpackedArchive(garbage, async () => 0), 'invalid-plugin', /garbage\.tgz is not a readable \.tgz archive/);
  assert.ok(isPluginError(e));
});

// ---------------------------------------------------------------------------------------------
// Consent

/** A plugin asking for one env variable (and a capped memory and timeout), built once. */
let envPlugin: Promise<string> | undefined;
function consentPlugin(): Promise<string> {
  envPlugin ??= (async () => {
    const dir = join(work, 'consent-env');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'manifest.yaml'), 'name: consent-env\nversion: 1.0.0\ndescription: reads one env variable\npermissions:\n  memory: 48MB\n  timeout: 3s\n  env: [POCKET_CONSENT_TEST]\n');
    writeFileSync(
      join(dir, 'src/index.ts'),
      "import { definePlugin, Type } from 'pocket-wit/guest';\nexport default definePlugin({ nodes: [{ type: 'read-env', category: 'test', description: 'ctx.env.get', input: Type.Object({}), exec(_i, ctx) { return { value: ctx.env.get('POCKET_CONSENT_TEST') ?? null }; } }] });\n",
    );
    return (await buildPlugin(dir, { out: join(dir, 'consent-env.wasm') })).out;
  })();
  return envPlugin;
}
const envFlow = () => flowFile('read-env');

test('the lock file records the permissions consented to at install', async () => {
  const h = home('consent');
  const r = await cli(['install', await consentPlugin(), '--yes'], h);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /permissions: env:1 48MB 3s\n/);
  const lock = JSON.parse(readFileSync(join(h, 'plugins/pocket-lock.json'), 'utf8')) as { plugins: Record<string, { consented: unknown }> };
  assert.equal(lock.plugins['consent-env']!.consented, { memory: '48MB', timeout: '3s', env: ['POCKET_CONSENT_TEST'], filesystem: [], network: [] });
});

test('a later load grants at most the consent; an old entry without a record gets the embedded permissions', async () => {
  const h = home('consent');
  const lockPath = join(h, 'plugins/pocket-lock.json');
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { plugins: Record<string, { consented?: { env: string[]; timeout: string } ; file: string }> };
  const entry = lock.plugins['consent-env']!;
  const env = { POCKET_CONSENT_TEST: 'granted-4711' };
  const value = async () => {
    const r = await cli(['flow', envFlow(), '--input', '{}', '--json'], h, env);
    assert.is(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { output: { value: string | null } }).output.value;
  };
  assert.is(await value(), 'granted-4711', 'consented: the plugin reads it');

  entry.consented!.env = [];
  writeFileSync(lockPath, JSON.stringify(lock));
  assert.is(await value(), null, 'not consented: the plugin does not get it, though its manifest asks');

  const file = join(h, 'plugins', entry.file);
  // `run` on the installed file keeps the consent too.
  const run = await cli(['run', file, 'read-env', '--input', '{}', '--json'], h, env);
  assert.is(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { output: { value: string | null } }).output, { value: null }, 'run: not consented, not granted');

  const grant = await grantForInstalled(file, { timeout: 100, memory: '1GB', env: ['POCKET_CONSENT_TEST', 'HOME'] });
  assert.equal(grant, { memory: '48MB', timeout: 100, env: [], filesystem: [], network: [], storage: false }, 'narrowed by both, widened by neither');

  delete entry.consented;
  writeFileSync(lockPath, JSON.stringify(lock));
  assert.is(await grantForInstalled(file), undefined, 'no record: the embedded permissions, no narrowing');
  assert.is(await value(), 'granted-4711', 'no record: the embedded permissions count as consented');
});

test.run();
