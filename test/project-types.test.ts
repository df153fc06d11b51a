/**
 * Plugin projects out of the box (issue #17): `build` type-checks TypeScript (and `--no-typecheck`
 * skips it); `init` writes a tsconfig.json that plain `tsc` accepts, a Rust project that `cargo
 * check` accepts offline, a Go project that `go vet` accepts with no temporary go.work; the
 * manifest's `engine` is what every rebuild uses; two scaffolds offer different node types.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-project-types-');
const env = { POCKET_HOME: join(work, 'home'), POCKET_WIT_CACHE: join(work, 'cache') };
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

function tsc(dir: string): { status: number | null; out: string } {
  const r = spawnSync(TSC, ['--noEmit', '-p', dir], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('init --lang ts writes a tsconfig.json that plain tsc accepts; build names a type error by file:line:col; --no-typecheck builds', async () => {
  const dir = join(work, 'greeter');
  const made = await runCli(['init', dir, '--json'], { env });
  assert.is(made.code, 0, made.stderr);
  assert.ok(JSON.parse(made.stdout).files.includes('tsconfig.json'));
  const ok = tsc(dir);
  assert.is(ok.status, 0, ok.out);

  const src = join(dir, 'src', 'index.ts');
  writeFileSync(src, readFileSync(src, 'utf8').replace('${input.name}!', '${input.nam}!'));
  const plain = tsc(dir);
  assert.is(plain.status, 2, plain.out);
  const failed = await runCli(['build', dir], { env });
  assert.is(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(failed.stderr, /error\[type-error\]: greeter: 1 type error in .* \(fix them, or build with --no-typecheck\)/);
  assert.match(failed.stderr, /src\/index\.ts:12:\d+: Property 'nam' does not exist on type '\{ name: string; \}'/);
  assert.not.ok(existsSync(join(dir, 'dist', 'greeter.wasm')), 'nothing was built');

  const skipped = await runCli(['build', dir, '--no-typecheck', '--json'], { env });
  assert.is(skipped.code, 0, skipped.stderr);
  assert.is(JSON.parse(skipped.stdout).engine, 'quickjs');
  assert.not.match(skipped.stderr, /type-checking/);
});

test('two scaffolds in one folder offer different node types (each is named after its plugin)', async () => {
  const a = await runCli(['init', join(work, 'plugins', 'first'), '--json'], { env });
  const b = await runCli(['init', join(work, 'plugins', 'second'), '--lang', 'go', '--json'], { env });
  assert.is(a.code + b.code, 0, a.stderr + b.stderr);
  assert.is(JSON.parse(a.stdout).node, 'first');
  assert.is(JSON.parse(b.stdout).node, 'second');
  assert.match(readFileSync(join(work, 'plugins', 'first', 'manifest.yaml'), 'utf8'), /\n {2}- type: first\n/);
  assert.match(readFileSync(join(work, 'plugins', 'first', 'src', 'index.ts'), 'utf8'), /type: 'first',/);
  assert.match(readFileSync(join(work, 'plugins', 'second', 'manifest.yaml'), 'utf8'), /\n {2}- type: second\n/);
  assert.match(readFileSync(join(work, 'plugins', 'second', 'main.go'), 'utf8'), /Type\(\) string \{ return "second" \}/);
});

test('init of a folder named "Bad Name": the plugin is bad-name, and the next commands are shell-quoted', async () => {
  const r = await runCli(['init', 'Bad Name'], { cwd: work, env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^created bad-name \(ts, engine quickjs\) in .*Bad Name, node type bad-name\n/);
  assert.match(r.stdout, /\n {2}pocket-wit build 'Bad Name'\n/);
  assert.match(r.stdout, /\n {2}pocket-wit run 'Bad Name' bad-name --input '\{"name":"Ada"\}'\n/);
});

test("the manifest's engine: build --engine X notes the manifest's Y; a rebuild on demand (run .) uses Y", async () => {
  const dir = join(work, 'pinned');
  const made = await runCli(['init', dir, '--engine', 'starlingmonkey'], { env });
  assert.is(made.code, 0, made.stderr);
  assert.match(readFileSync(join(dir, 'manifest.yaml'), 'utf8'), /\nengine: starlingmonkey\n/);
  const quick = await runCli(['build', '.', '--engine', 'quickjs'], { cwd: dir, env });
  assert.is(quick.code, 0, quick.stderr);
  assert.match(quick.stderr, /note: built with quickjs, but manifest\.yaml says engine: starlingmonkey .*; to pin quickjs, write `engine: quickjs` there\n/);
  const info1 = await runCli(['info', 'dist/pinned.wasm', '--json'], { cwd: dir, env });
  assert.is(JSON.parse(info1.stdout).engine, 'quickjs');
  // A source newer than the component: `run .` rebuilds, with the manifest's engine.
  const later = new Date(Date.now() + 5_000);
  utimesSync(join(dir, 'src', 'index.ts'), later, later);
  const run = await runCli(['run', '.', 'pinned', '--input', '{"name":"Ada"}', '--json'], { cwd: dir, env });
  assert.is(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).output, { message: 'Hello, Ada!' });
  const info2 = await runCli(['info', 'dist/pinned.wasm', '--json'], { cwd: dir, env });
  assert.is(JSON.parse(info2.stdout).engine, 'starlingmonkey');
});

const CARGO = '/usr/bin/cargo';
test('init --lang rust: cargo check passes offline (Debian crates, relative or absolute SDK path)', async () => {
  if (!existsSync(CARGO)) {
    console.log(`  skipped: ${CARGO} is missing (sh scripts/install-toolchains.sh)`);
    return;
  }
  const dir = join(work, 'rusty');
  const made = await runCli(['init', dir, '--lang', 'rust'], { env });
  assert.is(made.code, 0, made.stderr);
  assert.match(readFileSync(join(dir, '.cargo', 'config.toml'), 'utf8'), /\[net\]\noffline = true\n/);
  assert.match(readFileSync(join(dir, 'Cargo.toml'), 'utf8'), /pocket-plugin = \{ path = "[^"]+\/guest-sdk\/rust" \}/);
  // What rust-analyzer runs, with no network: the config alone keeps cargo offline.
  const r = spawnSync(CARGO, ['check', '--target', 'wasm32-unknown-unknown'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, CARGO_TARGET_DIR: join(work, 'rusty-target'), CARGO_HOME: join(work, 'cargo-home') },
  });
  assert.is(r.status, 0, r.stderr);
  assert.not.match(r.stderr, /Updating crates\.io index|Downloading/);
  assert.match(r.stderr, /Checking rusty v0\.1\.0/);
});

const GO = '/usr/lib/go-1.23/bin/go';
test('init --lang go: go vet finds the Go SDK through the go.work init wrote (no network)', async () => {
  if (!existsSync(GO)) {
    console.log(`  skipped: ${GO} is missing (sh scripts/install-toolchains.sh)`);
    return;
  }
  const dir = join(work, 'gopher');
  const made = await runCli(['init', dir, '--lang', 'go'], { env });
  assert.is(made.code, 0, made.stderr);
  assert.ok(existsSync(join(dir, 'go.work')));
  const r = spawnSync(GO, ['vet', './...'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '', GOWORK: '' },
  });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

test.run();
