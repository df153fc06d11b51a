/**
 * The published package, for real (issue #17): `npm pack` the repository (its built dist/), install
 * the tarball into a fresh app, and use it as a plugin author and as a host app would: `npx
 * pocket-wit init/build/run` of a TypeScript node, and `tsc --noEmit` of an app importing
 * `pocket-wit/host` and `pocket-wit/guest` with `skipLibCheck: false` and no `@types/node`.
 * One install serves every test. The only test that may fetch from the registry (packages missing
 * from the npm cache); `--prefer-offline` uses the cache `npm ci` filled.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-package-');
const app = join(work, 'app');
/** Per command; an install from a cold cache can take minutes. */
const TIMEOUT_MS = 300_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for the child commands: none of the `npm_*` variables of an enclosing `npm test`. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, CI: '1', POCKET_HOME: join(work, 'home'), POCKET_WIT_CACHE: join(work, 'cache'), POCKET_PLUGIN_PATH: '', NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' };
}

/** Seconds each command took, printed at the end (the install dominates). */
const timings: string[] = [];

function sh(command: string, args: string[], cwd: string): Promise<Run> {
  const t0 = performance.now();
  const label = [command === process.execPath ? 'node' : command, ...args.slice(0, 3).map((a) => a.replace(/^.*\//, ''))].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      timings.push(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(what: string, r: Run): Run {
  assert.is(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

interface PackFile {
  path: string;
}
let files: string[] = [];
let install: Run = { code: null, stdout: '', stderr: '' };
let setupError: unknown;
const started = performance.now();

test.before(async () => {
  try {
    if (!existsSync(join(ROOT, 'dist', 'pocket-wit.mjs'))) throw new Error('dist/ is not built: run `npm run build` first');
    // --ignore-scripts: pack the dist/ this run built (npm pack would run `prepare`, a second build).
    const pack = ok('npm pack', await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT));
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: PackFile[] }[];
    files = packed!.files.map((f) => f.path);
    mkdirSync(app);
    // The install scripts of esbuild (its postinstall checks or downloads the binary its platform
    // package already holds) and msgpackr-extract (an optional native speed-up of BullMQ's msgpackr)
    // are not needed: denied here, the build below still works (docs/PLUGIN_SDK_API.md).
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module', allowScripts: { esbuild: false, 'msgpackr-extract': false } }, null, 2)}\n`,
    );
    install = ok('npm install', await sh('npm', ['install', join(work, packed!.filename), '--prefer-offline', '--no-audit', '--no-fund'], app));
  } catch (err) {
    setupError = err;
    console.error(err);
  }
});

test.after(() => {
  console.log(`\n  package test: ${((performance.now() - started) / 1000).toFixed(1)} s in all (${timings.join(', ')})`);
});

test('the tarball holds the runtime files and no tests, fixtures, scripts or source maps', () => {
  assert.not.ok(setupError, String(setupError));
  for (const needed of [
    'package.json',
    'README.md',
    'dist/pocket-wit.mjs',
    'dist/host/src/index.js',
    'dist/host/src/index.d.ts',
    'dist/host/src/generated/wit/v0.2.1/interfaces/pocket-plugin-node.d.ts',
    'dist/guest-sdk/ts/src/index.d.ts',
    'wit/v0.2.1/world.wit',
    'guest-sdk/ts/src/index.ts',
    'guest-sdk/rust/Cargo.toml',
    'guest-sdk/go/plugin.go',
    'guest-sdk/c/pocket_plugin.h',
    'tools/init/templates/ts/src/index.ts',
  ]) {
    assert.ok(files.includes(needed), `${needed} is missing from the tarball`);
  }
  const unwanted = files.filter((f) => /^(test|scripts|examples|tools\/(?!init\/templates\/))|\.test\.ts$|fixtures|\.map$|^dist\/tools\//.test(f));
  assert.equal(unwanted, [], `files that do not belong in the package:\n${unwanted.join('\n')}`);
  assert.ok(files.length < 400, `${files.length} files`);
});

test('the install warns of no install script but the tarball own prepare (never run for a tarball)', () => {
  assert.not.ok(setupError, String(setupError));
  const output = `${install.stdout}\n${install.stderr}`;
  // npm 11 lists the packages whose install scripts no allowScripts entry covers. pocket-wit's
  // `prepare` is listed only because a tarball is not a registry source (npm runs it for git and
  // folder installs, which build dist/; never for a tarball, nor is it listed for the registry).
  const listed = output
    .split('\n')
    .filter((l) => /^npm warn (install|allow)-scripts\s+\S+@\S+ \(/.test(l))
    .map((l) => l.replace(/^npm warn \S+\s+/, ''));
  // better-sqlite3 (plugin storage) is a native addon: its install script fetches a prebuilt
  // binary or compiles one, which an app allows (or npm runs, as npm 11 still does). It must have
  // produced the addon.
  const others = listed.filter((l) => !/^pocket-wit@\S+ \(prepare: /.test(l) && !/^better-sqlite3@\S+ \(install: /.test(l));
  assert.equal(others, [], `dependencies with install scripts not covered:\n${output}`);
  assert.ok(existsSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')), `better-sqlite3 was not built:\n${output}`);
  assert.not.match(output, /npm (warn|error) (ERESOLVE|deprecated|EBADENGINE)/, output);
  assert.not.ok(existsSync(join(app, 'node_modules', '@types', 'node')), 'the install brought @types/node');
});

test('npx pocket-wit init, build and run a TypeScript node from the installed package', async () => {
  assert.not.ok(setupError, String(setupError));
  ok('init', await sh('npx', ['--no-install', 'pocket-wit', 'init', 'hello', '--lang', 'ts'], app));
  const build = ok('build', await sh('npx', ['--no-install', 'pocket-wit', 'build', 'hello'], app));
  assert.match(`${build.stdout}${build.stderr}`, /built hello@0\.1\.0 → /);
  assert.ok(existsSync(join(app, 'hello', 'dist', 'hello.wasm')));
  const run = ok('run', await sh('npx', ['--no-install', 'pocket-wit', 'run', 'hello', 'hello', '--input', '{"name":"Ada"}'], app));
  assert.match(run.stdout, /"message": "Hello, Ada!"/);
});

test('an app type-checks pocket-wit/host and pocket-wit/guest: skipLibCheck false, no @types/node', async () => {
  assert.not.ok(setupError, String(setupError));
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true }, include: ['src'] }),
  );
  writeFileSync(
    join(app, 'src', 'app.ts'),
    [
      "import { loadPlugin, PluginError, type NodeResult } from 'pocket-wit/host';",
      "import { definePlugin, Type } from 'pocket-wit/guest';",
      '',
      "const plugin = await loadPlugin('hello/dist/hello.wasm');",
      "const typed = await plugin.runNode<{ message: string }>('hello', { input: { name: 'Ada' } });",
      'const message: string = typed.output.message;',
      '// @ts-expect-error the output is typed: no such field',
      'typed.output.missing;',
      "const untyped: NodeResult = await plugin.runNode('hello');",
      'const out: unknown = untyped.output;',
      "export const node = definePlugin({ nodes: [{ type: 'x', category: 'demo', description: 'Doubles n', input: Type.Object({ n: Type.Number() }), exec: (input) => input.n * 2 }] });",
      'export { message, out, PluginError };',
      '',
    ].join('\n'),
  );
  // And the check can fail: a wrong output type is an error (in the same program: one tsc run,
  // typebox's declarations make each take tens of seconds on a busy machine).
  writeFileSync(join(app, 'src', 'wrong.ts'), "import { loadPlugin } from 'pocket-wit/host';\nconst p = await loadPlugin('x.wasm');\nexport const n: number = (await p.runNode<{ message: string }>('hello')).output.message;\n");
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await sh(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], app);
  const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.is(errors.length, 1, `tsc, expecting only the error of src/wrong.ts:\n${r.stdout}${r.stderr}`);
  assert.match(errors[0]!, /^src\/wrong\.ts\(3,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
  assert.is(r.code, 2);
});

test.run();
