/**
 * Filesystem grants the host refuses, what `run` and `flow` say they grant, and the `--deny-*`
 * options, with real plugins: test/fixtures/sandbox-c (C, wasi-libc) and sandbox-ts-caps
 * (ctx.env / ctx.fs / ctx.fetch), copied to a temp folder with their manifests rewritten there,
 * built with the real toolchains, loaded by the real host and run through the real CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin, type PluginError } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { CACHE_DIR, ROOT, runCli, tempDir, expectError, type CliResult } from './helpers.js';

const work = realpathSync(tempDir('pocket-wit-grants-'));
const HOME = realpathSync(homedir());
/** What the `danger` copy of sandbox-c asks for, besides ./data: every one must be refused. */
const DANGEROUS = ['/proc/self:rw', '/proc', '/sys', '/dev', '/dev/shm', '/run', '/', HOME];
/** A folder outside the project, granted by its absolute path (a subfolder of a temp dir). */
const shared = join(work, 'shared');
/** Where the project's `./link` points when it is not being attacked. */
const target = join(work, 'target');
/** A stand-in home directory for the CLI (HOME=…). */
const fakeHome = join(work, 'home');
/** An empty place to run the CLI from, with its own POCKET_HOME: no stray plugins are found. */
const cwd = join(work, 'cwd');
const cliEnv = { POCKET_HOME: join(work, 'pocket-home'), POCKET_PLUGIN_PATH: '', POCKET_SANDBOX_OK: 'granted-value' };

interface Staged {
  dir: string;
  wasm: string;
}
let danger: Staged;
let c: Staged;
let ts: Staged;
let server: Server;
let port: number;
let hits = 0;

/** Edit a file of a staged copy; the edit must change it. */
function edit(file: string, from: RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  assert.is.not(changed, text, `${file}: ${from} not found`);
  writeFileSync(file, changed);
}

/**
 * Copy a fixture, give it `filesystem` (JSON list) in its manifest, and build it. Its `echo` node
 * becomes `pass`, so that workflows can load it beside the built-in `echo`.
 */
async function stage(fixture: string, as: string, filesystem?: string[]): Promise<Staged> {
  const dir = join(work, as);
  cpSync(join(ROOT, 'test', 'fixtures', fixture), dir, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
  for (const sub of ['data', 'out']) mkdirSync(join(dir, sub), { recursive: true });
  edit(join(dir, 'manifest.yaml'), /- type: echo$/m, '- type: pass');
  if (fixture === 'sandbox-c') edit(join(dir, 'src', 'plugin.c'), /pp_str_eq\(type, "echo"\)/, 'pp_str_eq(type, "pass")');
  else edit(join(dir, 'src', 'index.ts'), /type: 'echo'/, "type: 'pass'");
  if (filesystem) {
    const manifest = readFileSync(join(dir, 'manifest.yaml'), 'utf8');
    const rewritten = manifest.replace(/^ {2}filesystem: .*$/m, `  filesystem: ${JSON.stringify(filesystem)}`);
    assert.is.not(rewritten, manifest, 'the fixture manifest has a filesystem line');
    writeFileSync(join(dir, 'manifest.yaml'), rewritten);
  }
  const { out } = await buildPlugin(dir, { out: join(dir, 'dist', `${fixture}.wasm`) });
  return { dir, wasm: out };
}

function pointLink(to: string): void {
  rmSync(join(c.dir, 'link'), { force: true });
  symlinkSync(to, join(c.dir, 'link'));
}

/** The `grant …` lines a command printed on stderr. */
const grantLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('grant '));

const C_FS = () => `fs /data → ${c.dir}/data (ro), /out → ${c.dir}/out (rw), /link → ${target} (ro), ${shared} → ${shared} (ro)`;
const TS_FS = () => `fs /data → ${ts.dir}/data (ro), /out → ${ts.dir}/out (rw)`;

test.before(async () => {
  process.env.POCKET_SANDBOX_OK = 'granted-value';
  for (const d of [shared, target, join(fakeHome, 'sub'), cwd]) mkdirSync(d, { recursive: true });
  writeFileSync(join(shared, 's.txt'), 'shared file\n');
  writeFileSync(join(target, 't.txt'), 'target file\n');
  writeFileSync(join(fakeHome, 'secret.txt'), 'home secret\n');
  writeFileSync(join(fakeHome, 'sub', 'h.txt'), 'home subfolder\n');
  // Built one after the other: the machine's two cores are shared.
  danger = await stage('sandbox-c', 'danger', [...DANGEROUS, './data']);
  c = await stage('sandbox-c', 'c', ['./data', './out:rw', './link', shared]);
  symlinkSync(target, join(c.dir, 'link'));
  ts = await stage('sandbox-ts-caps', 'ts');
  server = createServer((req, res) => {
    hits++;
    res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.after(() => {
  server?.close();
});

// ---- refused at load (host API) ----

test('a manifest asking for /proc/self, /proc, /sys, /dev, /dev/shm, /run, / and the home directory does not load: one permission-denied naming each', async () => {
  const err = await expectError(loadPlugin(danger.wasm, { cacheDir: CACHE_DIR, pool: 1 }), 'permission-denied', /^sandbox-c: 8 filesystem permissions are refused:\n/);
  for (const entry of DANGEROUS) assert.ok(err.message.includes(`permissions.filesystem "${entry}" is refused: it resolves to `), `${entry} named in:\n${err.message}`);
  assert.not.ok(err.message.includes('permissions.filesystem "./data"'), 'the granted ./data is not refused');
  assert.match(err.message, /\n {2}grant a specific folder instead \(for example "\.\/data"\), or load the plugin without filesystem access/);
  const refused = (err.details as { refused: { entry: string; host: string }[] }).refused;
  assert.equal(refused.map((r) => r.entry), DANGEROUS);
  assert.is(refused[0]!.host, `/proc/${process.pid}`, '/proc/self is reported as what it resolves to');
});

test('each dangerous entry alone is refused, saying what it resolves to and why', async () => {
  const cases: [string, string][] = [
    ['/proc/self:rw', `it resolves to /proc/${process.pid}, on a proc filesystem: the host process's environment, memory (/proc/self/mem) and open files`],
    ['/proc', 'it resolves to /proc, on a proc filesystem'],
    ['/sys', "it resolves to /sys, on a sysfs filesystem: the kernel's devices and settings"],
    ['/dev', 'it resolves to /dev, inside /dev, the device tree'],
    ['/dev/shm', 'it resolves to /dev/shm, inside /dev, the device tree: disks, terminals, shared memory'],
    ['/run', `it resolves to ${realpathSync('/run')}, inside /run`],
    ['/', "it resolves to /, the host's root directory, the whole filesystem"],
    [HOME, `it resolves to ${HOME}, the user's home directory as a whole`],
  ];
  for (const [entry, why] of cases) {
    // The host grant narrows the manifest to this entry (and what lies under it: `/` covers all).
    const err: PluginError = await expectError(loadPlugin(danger.wasm, { cacheDir: CACHE_DIR, pool: 1, permissions: { filesystem: [entry] } }), 'permission-denied');
    assert.ok(err.message.includes(`permissions.filesystem "${entry}" is refused: ${why}`), `${entry}:\n${err.message}`);
  }
});

test('narrowed to ./data (or to nothing) the same plugin loads: only what is granted is checked', async () => {
  const p = await loadPlugin(danger.wasm, { cacheDir: CACHE_DIR, pool: 1, permissions: { filesystem: ['./data'] } });
  try {
    assert.equal(p.permissions?.filesystem, [{ guest: '/data', host: join(danger.dir, 'data'), writable: false }]);
    assert.equal(await p.exec('read', { path: '/data/hello.txt' }), { text: 'hello from data\n' });
  } finally {
    await p.close();
  }
  const none = await loadPlugin(danger.wasm, { cacheDir: CACHE_DIR, pool: 1, permissions: { filesystem: [] } });
  try {
    assert.equal(none.permissions?.filesystem, []);
    await expectError(none.exec('read', { path: '/data/hello.txt' }), 'permission-denied', /open \/data\/hello\.txt/);
  } finally {
    await none.close();
  }
});

test('a project symlink into /proc, /dev/shm or the home directory is refused by what it resolves to; pointed back, it works', async () => {
  const hop = join(work, 'hop');
  symlinkSync('/proc/self', hop);
  const cases: [string, string][] = [
    ['/proc/self', `it resolves to /proc/${process.pid}, on a proc filesystem`],
    [hop, `it resolves to /proc/${process.pid}, on a proc filesystem`], // a chain of links
    ['/dev/shm', 'it resolves to /dev/shm, inside /dev'],
    [HOME, `it resolves to ${HOME}, the user's home directory as a whole`],
    ['/', "it resolves to /, the host's root directory"],
  ];
  try {
    for (const [to, why] of cases) {
      pointLink(to);
      const err = await expectError(loadPlugin(c.wasm, { cacheDir: CACHE_DIR, pool: 1 }), 'permission-denied');
      assert.ok(err.message.startsWith(`sandbox-c: permissions.filesystem "./link" is refused: ${why}`), `${to}:\n${err.message}`);
    }
  } finally {
    pointLink(target);
  }
  const p = await loadPlugin(c.wasm, { cacheDir: CACHE_DIR, pool: 1 });
  try {
    assert.equal(await p.exec('read', { path: '/link/t.txt' }), { text: 'target file\n' });
  } finally {
    await p.close();
  }
});

test('subfolders of a temp dir are granted: relative ones at /name, an absolute one at its own path', async () => {
  const p = await loadPlugin(c.wasm, { cacheDir: CACHE_DIR, pool: 1 });
  try {
    assert.equal(p.permissions?.filesystem, [
      { guest: '/data', host: join(c.dir, 'data'), writable: false },
      { guest: '/out', host: join(c.dir, 'out'), writable: true },
      { guest: '/link', host: target, writable: false },
      { guest: shared, host: shared, writable: false },
    ]);
    assert.equal(await p.exec('read', { path: `${shared}/s.txt` }), { text: 'shared file\n' });
    assert.equal(await p.exec('read', { path: '/data/hello.txt' }), { text: 'hello from data\n' });
  } finally {
    await p.close();
  }
});

test('info still describes a plugin asking for /proc/self; validate reports the refusal with what to fix', async () => {
  const info = await runCli(['info', danger.wasm], { cwd, env: cliEnv });
  assert.is(info.code, 0, info.stderr);
  assert.match(info.stdout, /filesystem: \/proc\/self \(read-write\), \/proc \(read-only\)/);
  const v = await runCli(['validate', danger.wasm, '--json'], { cwd, env: cliEnv });
  assert.is(v.code, 1, v.stderr);
  const report = JSON.parse(v.stdout.split('\n')[0]!) as { valid: boolean; problems: { check: string; message: string; fix: string }[] };
  assert.is(report.valid, false);
  assert.is(report.problems.length, 1);
  assert.match(report.problems[0]!.message, /^sandbox-c: 8 filesystem permissions are refused:\n/);
  assert.is(report.problems[0]!.fix, 'ask for a specific folder in permissions.filesystem (manifest.yaml) and rebuild');
});

// ---- pocket-wit run: refusal, the grant line, --deny-* ----

test('run: a plugin asking for /proc/self fails to load with a clear error, no stack trace; --json keeps stdout one JSON line', async () => {
  const r = await runCli(['run', danger.wasm, 'pass', '--input', '{}'], { cwd, env: cliEnv });
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^error\[permission-denied\]: sandbox-c: 8 filesystem permissions are refused:\n/);
  assert.match(r.stderr, /\n {2}- permissions\.filesystem "\/proc\/self:rw" is refused: it resolves to \/proc\/\d+, on a proc filesystem/);
  assert.match(r.stderr, /\n {2}grant a specific folder instead .*--deny-fs on pocket-wit run and flow\)\n$/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  const j = await runCli(['run', danger.wasm, 'pass', '--input', '{}', '--json'], { cwd, env: cliEnv });
  assert.is(j.code, 1);
  const body = JSON.parse(j.stdout) as { error: { code: string; message: string } };
  assert.is(body.error.code, 'permission-denied');
  assert.match(body.error.message, /"\/proc\/self:rw" is refused/);
});

test('run --deny-fs: the same plugin loads without any directory, and says what it is granted', async () => {
  const r = await runCli(['run', danger.wasm, 'pass', '--input', '{"a":1}', '--json', '--deny-fs'], { cwd, env: cliEnv });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '{"output":{"a":1},"next":"default"}\n');
  assert.equal(grantLines(r), ['grant sandbox-c: env POCKET_SANDBOX_OK']);
});

test('run prints one grant line on stderr (env, fs guest → host with ro/rw, net); stdout stays clean JSON', async () => {
  const r = await runCli(['run', c.wasm, 'pass', '--input', '{"a":1}', '--json'], { cwd, env: cliEnv });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '{"output":{"a":1},"next":"default"}\n');
  assert.equal(grantLines(r), [`grant sandbox-c: env POCKET_SANDBOX_OK; ${C_FS()}`]);
  const t = await runCli(['run', ts.wasm, 'pass', '--input', '{"b":2}'], { cwd, env: cliEnv });
  assert.is(t.code, 0, t.stderr);
  assert.is(t.stdout, 'output: {\n  "b": 2\n}\nnext: default\n');
  assert.equal(grantLines(t), [`grant sandbox-ts-caps: env POCKET_SANDBOX_OK; ${TS_FS()}; net 127.0.0.1`]);
});

test('run --deny-all: nothing beyond memory and timeout, so no grant line; env is empty, files and HTTP are refused', async () => {
  const r = await runCli(['run', ts.wasm, 'pass', '--input', '{}', '--json', '--deny-all'], { cwd, env: cliEnv });
  assert.is(r.code, 0, r.stderr);
  assert.equal(grantLines(r), []);
  assert.not.match(r.stderr, /grant/);
  const env = await runCli(['run', ts.wasm, 'env', '--input', '{"name":"POCKET_SANDBOX_OK"}', '--json', '--deny-all'], { cwd, env: cliEnv });
  assert.is(env.stdout, '{"output":{"value":null},"next":"default"}\n', env.stderr);
  for (const [node, input] of [
    ['read', { path: '/data/hello.txt' }],
    ['fetch', { url: `http://127.0.0.1:${port}/all` }],
  ] as const) {
    const before = hits;
    const x = await runCli(['run', ts.wasm, node, '--input', JSON.stringify(input), '--json', '--deny-all'], { cwd, env: cliEnv });
    assert.is(x.code, 1, `${node}: ${x.stdout}`);
    assert.is((JSON.parse(x.stdout) as { error: { code: string } }).error.code, 'permission-denied', x.stdout);
    assert.is(hits, before, 'nothing was sent');
  }
});

test('run --deny-fs: a granted read fails with the sandbox refusal; the grant line shows no fs', async () => {
  const input = ['--input', '{"path":"/data/hello.txt"}', '--json'];
  const ok = await runCli(['run', c.wasm, 'read', ...input], { cwd, env: cliEnv });
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, '{"output":{"text":"hello from data\\n"},"next":"default"}\n');
  const r = await runCli(['run', c.wasm, 'read', ...input, '--deny-fs'], { cwd, env: cliEnv });
  assert.is(r.code, 1, r.stdout);
  const body = JSON.parse(r.stdout) as { error: { code: string; message: string; details: { error: string } } };
  assert.is(body.error.code, 'permission-denied');
  assert.match(body.error.message, /^open \/data\/hello\.txt: /);
  assert.is(body.error.details.error, 'ENOTCAPABLE');
  assert.equal(grantLines(r), ['grant sandbox-c: env POCKET_SANDBOX_OK']);
});

test('run --deny-env: the granted variable is not there (getenv is NULL, ctx.env.get null, as for an unset one); the grant line shows no env', async () => {
  const input = ['--input', '{"name":"POCKET_SANDBOX_OK"}', '--json'];
  const ok = await runCli(['run', c.wasm, 'env', ...input], { cwd, env: cliEnv });
  assert.is(ok.stdout, '{"output":{"value":"granted-value"},"next":"default"}\n', ok.stderr);
  const r = await runCli(['run', c.wasm, 'env', ...input, '--deny-env'], { cwd, env: cliEnv });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '{"output":{"value":null},"next":"default"}\n');
  assert.equal(grantLines(r), [`grant sandbox-c: ${C_FS()}`]);
  const t = await runCli(['run', ts.wasm, 'env', ...input, '--deny-env'], { cwd, env: cliEnv });
  assert.is(t.code, 0, t.stderr);
  assert.is(t.stdout, '{"output":{"value":null},"next":"default"}\n');
  assert.equal(grantLines(t), [`grant sandbox-ts-caps: ${TS_FS()}; net 127.0.0.1`]);
});

test('run --deny-net: HTTP to the granted host is refused and nothing is sent; the grant line shows no net', async () => {
  const input = ['--input', JSON.stringify({ url: `http://127.0.0.1:${port}/ping` }), '--json'];
  const ok = await runCli(['run', ts.wasm, 'fetch', ...input], { cwd, env: cliEnv });
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout), { output: { status: 200, body: 'hello GET /ping' }, next: 'default' });
  const before = hits;
  const r = await runCli(['run', ts.wasm, 'fetch', ...input, '--deny-net'], { cwd, env: cliEnv });
  assert.is(r.code, 1, r.stdout);
  assert.is((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'permission-denied');
  assert.is(hits, before, 'no request reached the server');
  assert.equal(grantLines(r), [`grant sandbox-ts-caps: env POCKET_SANDBOX_OK; ${TS_FS()}`]);
});

test('run with HOME set: ./link to the home directory itself is refused, to a subfolder of it granted', async () => {
  const env = { ...cliEnv, HOME: fakeHome };
  try {
    pointLink(fakeHome);
    const input = ['--input', '{"path":"/link/secret.txt"}', '--json'];
    const control = await runCli(['run', c.wasm, 'read', ...input], { cwd, env: cliEnv });
    assert.is(control.code, 0, `a folder that is not HOME is granted: ${control.stderr}`);
    const r = await runCli(['run', c.wasm, 'read', ...input], { cwd, env });
    assert.is(r.code, 1, r.stdout);
    const body = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.is(body.error.code, 'permission-denied');
    assert.ok(body.error.message.startsWith(`sandbox-c: permissions.filesystem "./link" is refused: it resolves to ${fakeHome}, the user's home directory as a whole`), body.error.message);
    pointLink(join(fakeHome, 'sub'));
    const sub = await runCli(['run', c.wasm, 'read', '--input', '{"path":"/link/h.txt"}', '--json'], { cwd, env });
    assert.is(sub.code, 0, sub.stderr);
    assert.is(sub.stdout, '{"output":{"text":"home subfolder\\n"},"next":"default"}\n');
    assert.ok(grantLines(sub)[0]!.includes(`/link → ${fakeHome}/sub (ro)`), sub.stderr);
  } finally {
    pointLink(target);
  }
});

// ---- pocket-wit flow ----

function workflow(name: string, node: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nstart: step\nnodes:\n  - name: step\n    type: ${node}\n`);
  return file;
}

test('flow: grant line per plugin; --deny-fs, --deny-env, --deny-net narrow every plugin', async () => {
  const cPlugins = ['--plugins', join(c.dir, 'dist')];
  const read = workflow('read', 'read');
  const readArgs = ['flow', read, ...cPlugins, '--input', '{"path":"/data/hello.txt"}', '--json'];
  const ok = await runCli(readArgs, { cwd, env: cliEnv });
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).output, { text: 'hello from data\n' });
  assert.equal(grantLines(ok), [`grant sandbox-c: env POCKET_SANDBOX_OK; ${C_FS()}`]);

  const noFs = await runCli([...readArgs, '--deny-fs'], { cwd, env: cliEnv });
  assert.is(noFs.code, 1, noFs.stdout);
  const err = (JSON.parse(noFs.stdout) as { error: { code: string; message: string } }).error;
  assert.is(err.code, 'permission-denied');
  assert.match(err.message, /node "step" \(read, plugin sandbox-c\) failed in exec: open \/data\/hello\.txt: /);
  assert.equal(grantLines(noFs), ['grant sandbox-c: env POCKET_SANDBOX_OK']);

  const env = workflow('env', 'env');
  const noEnv = await runCli(['flow', env, ...cPlugins, '--input', '{"name":"POCKET_SANDBOX_OK"}', '--json', '--deny-env'], { cwd, env: cliEnv });
  assert.is(noEnv.code, 0, noEnv.stderr);
  assert.equal(JSON.parse(noEnv.stdout).output, { value: null });
  assert.equal(grantLines(noEnv), [`grant sandbox-c: ${C_FS()}`]);

  const fetch = workflow('fetch', 'fetch');
  const fetchArgs = ['flow', fetch, '--plugins', join(ts.dir, 'dist'), '--input', JSON.stringify({ url: `http://127.0.0.1:${port}/flow` }), '--json'];
  const fetched = await runCli(fetchArgs, { cwd, env: cliEnv });
  assert.is(fetched.code, 0, fetched.stderr);
  assert.equal(JSON.parse(fetched.stdout).output, { status: 200, body: 'hello GET /flow' });
  const before = hits;
  const noNet = await runCli([...fetchArgs, '--deny-net'], { cwd, env: cliEnv });
  assert.is(noNet.code, 1, noNet.stdout);
  assert.is((JSON.parse(noNet.stdout) as { error: { code: string } }).error.code, 'permission-denied');
  assert.is(hits, before);
  assert.equal(grantLines(noNet), [`grant sandbox-ts-caps: env POCKET_SANDBOX_OK; ${TS_FS()}`]);
});

test('flow: a plugin on the search path asking for /proc/self is refused at load; with --deny-fs the flow runs', async () => {
  const echo = workflow('echo', 'echo');
  const args = ['flow', echo, '--plugins', join(danger.dir, 'dist'), '--input', '{"x":1}'];
  const r = await runCli(args, { cwd, env: cliEnv });
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, /^error\[permission-denied\]: sandbox-c: 8 filesystem permissions are refused:\n/);
  assert.ok(r.stderr.includes('permissions.filesystem "/proc/self:rw" is refused'), r.stderr);
  assert.not.match(r.stderr, /\n\s+at /);
  const denied = await runCli([...args, '--deny-fs', '--json'], { cwd, env: cliEnv });
  assert.is(denied.code, 0, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).output, { x: 1 });
  assert.equal(grantLines(denied), ['grant sandbox-c: env POCKET_SANDBOX_OK']);
});

test('flow --batch --deny-fs: the batch workers load with the same narrowed grant', async () => {
  const read = workflow('read', 'read');
  const inputs = join(work, 'inputs.jsonl');
  writeFileSync(inputs, '{"path":"/data/hello.txt"}\n');
  const run = async (extra: string[]): Promise<{ r: CliResult; record: { ok: boolean; output?: unknown; error?: { code: string } } }> => {
    const out = join(work, `results-${extra.length}.jsonl`);
    const r = await runCli(['flow', read, '--plugins', join(c.dir, 'dist'), '--batch', inputs, '--out', out, ...extra], { cwd, env: cliEnv });
    return { r, record: JSON.parse(readFileSync(out, 'utf8').trim()) };
  };
  const ok = await run([]);
  assert.is(ok.r.code, 0, ok.r.stderr);
  assert.equal(ok.record.output, { text: 'hello from data\n' });
  const denied = await run(['--deny-fs']);
  assert.is(denied.r.code, 1, denied.r.stderr);
  assert.is(denied.record.ok, false);
  assert.is(denied.record.error?.code, 'permission-denied');
  assert.equal(grantLines(denied.r), ['grant sandbox-c: env POCKET_SANDBOX_OK']);
});

test('run and flow --help list the --deny-* options', async () => {
  for (const cmd of ['run', 'flow']) {
    const r = await runCli([cmd, '--help']);
    for (const flag of ['--deny-fs', '--deny-net', '--deny-env', '--deny-all']) assert.ok(r.stdout.includes(flag), `${cmd} --help: ${flag}`);
  }
});

test.run();
