/**
 * The adversarial C sandbox fixtures (test/fixtures/sandbox-c, test/fixtures/sandbox-c-hang) build,
 * and their components import exactly the WASI interfaces the sandbox must provide; the C examples
 * import none. Running the fixtures is the sandbox tests' job (they need the per-instance WASI);
 * here only sandbox-c-hang is instantiated, with stub imports that implement nothing but
 * `wasi:cli/environment`, to show that its instantiation really never finishes.
 *
 * The import checks use the C language builder (`buildC`) and jco's transpile directly; one test
 * builds sandbox-c with the real `buildPlugin` and makes good calls on one sandboxed instance, call
 * after call: the WASI adapter's state must outlive the SDK's call arena (`cabi_realloc_adapter`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { print, transpile } from '@bytecodealliance/jco';
import { buildC } from '../tools/build/languages/c.js';
import { readProject } from '../tools/build/project.js';
import { silentSteps } from '../tools/ui/steps.js';
import { SANDBOX_WASI_INTERFACES } from '../host/src/sandbox/wasi/interfaces.js';
import { loadPlugin } from '../host/src/index.js';
import { built, CACHE_DIR, recordingSink, ROOT, tempDir } from './helpers.js';

interface Transpiled {
  component: Uint8Array;
  /** What jco's `instantiate` wants, unversioned (`wasi:cli/stdout`), sorted. */
  imports: string[];
  files: Record<string, Uint8Array>;
}

const builds = new Map<string, Promise<Transpiled>>();

function buildAndTranspile(project: string): Promise<Transpiled> {
  let entry = builds.get(project);
  if (!entry) {
    entry = (async () => {
      const { component } = await buildC(readProject(join(ROOT, project)), { witVersion: '0.2.1', steps: silentSteps });
      const t = await transpile(component, { name: 'plugin', instantiation: 'sync', noTypescript: true, quiet: true });
      return { component, imports: [...t.imports].sort(), files: t.files as Record<string, Uint8Array> };
    })();
    builds.set(project, entry);
  }
  return entry;
}

const wasiOf = (imports: string[]): string[] => imports.filter((n) => n.startsWith('wasi:'));

test('sandbox-c imports wasi:filesystem, wasi:cli, clocks, random and io: exactly these, and no sockets', async () => {
  const { imports } = await buildAndTranspile('test/fixtures/sandbox-c');
  assert.equal(imports, [
    'wasi:cli/environment',
    'wasi:cli/exit',
    'wasi:cli/stderr',
    'wasi:cli/stdin',
    'wasi:cli/stdout',
    'wasi:cli/terminal-input',
    'wasi:cli/terminal-output',
    'wasi:cli/terminal-stderr',
    'wasi:cli/terminal-stdin',
    'wasi:cli/terminal-stdout',
    'wasi:clocks/monotonic-clock',
    'wasi:clocks/wall-clock',
    'wasi:filesystem/preopens',
    'wasi:filesystem/types',
    'wasi:io/error',
    'wasi:io/streams',
    'wasi:random/random',
  ]);
  assert.ok(!imports.some((n) => n.startsWith('wasi:sockets/') || n.startsWith('wasi:http/')));
});

test('every WASI interface the fixtures import is one the sandbox provides', async () => {
  for (const project of ['test/fixtures/sandbox-c', 'test/fixtures/sandbox-c-hang']) {
    const { imports } = await buildAndTranspile(project);
    const missing = wasiOf(imports).filter((n) => !SANDBOX_WASI_INTERFACES.includes(n));
    assert.equal(missing, [], project);
  }
});

test('sandbox-c-hang imports only what getenv (and wasi-libc start-up) needs', async () => {
  const { imports } = await buildAndTranspile('test/fixtures/sandbox-c-hang');
  assert.equal(imports, ['wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stderr', 'wasi:io/error', 'wasi:io/streams']);
});

test('the C examples import no WASI: no adapter, only pocket:plugin', async () => {
  for (const project of ['examples/c-word-stats', 'test/fixtures/bench-c']) {
    const { imports, files } = await buildAndTranspile(project);
    assert.equal(wasiOf(imports), [], project);
    assert.ok(imports.every((n) => n.startsWith('pocket:plugin/')), `${project}: ${imports.join(', ')}`);
    // no adapter module among the core modules: only the plugin's own and wit-component's shims
    for (const [name, bytes] of Object.entries(files)) {
      if (name.endsWith('.wasm')) assert.ok(!(await print(bytes)).includes('wasi_snapshot_preview1'), `${project}: ${name}`);
    }
  }
});

test("the component runs the module's _initialize (constructors) while it is instantiated", async () => {
  // wit-component adds a core module whose start function is the main module's `_initialize`;
  // jco's glue instantiates it inside instantiate(). That is what makes sandbox-c-hang hang.
  const { files } = await buildAndTranspile('test/fixtures/sandbox-c-hang');
  let found = false;
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const wat = await print(bytes);
    const init = /\(import "main" "_initialize" \(func \(;(\d+);\)/.exec(wat);
    if (init && wat.includes(`(start ${init[1]})`)) found = true;
  }
  assert.ok(found, 'a core module starts by calling main._initialize');
});

/** Instantiate the transpiled hang fixture in a child process, with stub imports; `env` is its environment. */
function instantiateHang(dir: string, env: [string, string][], timeoutMs: number): { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number } {
  const script = `
const { instantiate } = await import(${JSON.stringify(join(dir, 'plugin.js'))});
const { readFileSync } = await import('node:fs');
const env = ${JSON.stringify(env)};
const stub = (what) => new Proxy(function () {}, { apply() { throw new Error('stub ' + what + ' called'); }, construct() { return {}; } });
const iface = (name) => new Proxy({}, { get: (_t, p) => (typeof p !== 'string' ? undefined : p === 'getEnvironment' ? () => env : stub(name + '#' + p)) });
const imports = new Proxy({}, { get: (_t, name) => (typeof name === 'string' ? iface(name) : undefined) });
const instance = instantiate((p) => new WebAssembly.Module(readFileSync(${JSON.stringify(dir)} + '/' + p)), imports);
console.log('instantiated: ' + Object.keys(instance).join(', '));
`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

test('sandbox-c-hang: instantiation finishes without POCKET_SANDBOX_HANG and never finishes with it', async () => {
  const { files } = await buildAndTranspile('test/fixtures/sandbox-c-hang');
  const dir = tempDir('pocket-wit-sandbox-c-hang-');
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  const ok = instantiateHang(dir, [['HOME', '/root']], 20_000);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /instantiated: .*pocket:plugin\/node@0\.2\.1/);
  const empty = instantiateHang(dir, [['POCKET_SANDBOX_HANG', '']], 20_000);
  assert.is(empty.status, 0, empty.stderr);
  const hang = instantiateHang(dir, [['POCKET_SANDBOX_HANG', '1']], 2_500);
  assert.is(hang.signal, 'SIGKILL', `expected the child to be killed at the timeout: ${hang.stdout} ${hang.stderr}`);
  assert.not.match(hang.stdout, /instantiated/);
});

test('the WASI adapter allocates through cabi_realloc_adapter (long-lived memory), not the call arena', async () => {
  const { files } = await buildAndTranspile('test/fixtures/sandbox-c');
  const adapters: string[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const wat = await print(bytes);
    if (wat.includes('(export "cabi_import_realloc"')) adapters.push(name);
  }
  assert.is(adapters.length, 1, 'one adapter module');
  const glue = new TextDecoder().decode(files['plugin.js']);
  assert.match(glue, /__main_module__: \{\s*cabi_realloc_adapter: Object\.assign\(exports1\.cabi_realloc_adapter/);
});

test('sandbox-c through buildPlugin and the sandboxed host: WASI keeps working call after call on one instance', async () => {
  const out = await built('test/fixtures/sandbox-c');
  const rec = recordingSink();
  const saved = process.env.POCKET_SANDBOX_OK;
  process.env.POCKET_SANDBOX_OK = 'granted';
  const plugin = await loadPlugin(out, { cacheDir: CACHE_DIR, log: rec.sink, pool: 1, baseDir: join(ROOT, 'test/fixtures/sandbox-c') });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal(await plugin.exec('read', { path: '/data/hello.txt' }), { text: 'hello from data\n' }, `read #${i}`);
      assert.equal(await plugin.exec('env', { name: 'POCKET_SANDBOX_OK' }), { value: 'granted' }, `env #${i}`);
      // other tests may add symlinks to data/ while this runs: only hello.txt is sure to be there
      assert.ok(((await plugin.exec('list', { path: '/data' })) as { entries: string[] }).entries.includes('hello.txt'), `list #${i}`);
      const t = (await plugin.exec('time', {})) as { wall_ms: number; random: string };
      assert.ok(Math.abs(t.wall_ms - Date.now()) < 60_000, `time #${i}`);
      assert.match(t.random, /^[0-9a-f]{16}$/);
      assert.equal(await plugin.exec('print', { lines: 1, stream: 'stdout', text: `hello ${i}` }), { printed: 1 });
    }
    assert.equal(
      rec.records.filter((r) => r.fields?.stream === 'stdout').map((r) => r.message),
      ['hello 0', 'hello 1', 'hello 2'],
    );
  } finally {
    await plugin.close();
    if (saved === undefined) delete process.env.POCKET_SANDBOX_OK;
    else process.env.POCKET_SANDBOX_OK = saved;
  }
});

test.run();
