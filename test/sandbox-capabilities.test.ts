/**
 * WASI capabilities under the sandbox, end to end with real plugins: test/fixtures/sandbox-c
 * (C, wasi-libc through jco's preview1 adapter), sandbox-c-hang, and the TypeScript SDK's
 * ctx.env / ctx.fs / ctx.fetch (sandbox-ts-caps, sandbox-ts-nocaps). Each attack asserts the exact
 * error and then a good call; each permission, when granted, works. The fixtures are copied to a
 * temp folder first: the symlink attacks are made there, never in the repository.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadPlugin, type LogRecord, type Plugin } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { CACHE_DIR, ROOT, recordingSink, runCli, tempDir, expectError } from './helpers.js';

const work = tempDir('pocket-wit-caps-');

/** Copy a fixture project into the temp folder (with empty data/out folders ready) and build it. */
async function stage(fixture: string): Promise<{ dir: string; wasm: string }> {
  const dir = join(work, fixture);
  cpSync(join(ROOT, 'test', 'fixtures', fixture), dir, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
  for (const sub of ['data', 'out']) mkdirSync(join(dir, sub), { recursive: true });
  const { out } = await buildPlugin(dir, { out: join(dir, 'dist', `${fixture}.wasm`) });
  return { dir, wasm: out };
}


let c: { dir: string; wasm: string };
let cPlugin: Plugin;
const cLogs: LogRecord[] = [];
let ts: { dir: string; wasm: string };
let tsPlugin: Plugin;
let server: Server;
let port: number;

const exec = (p: Plugin, node: string, input: unknown): Promise<unknown> => p.exec(node, input);
async function good(p: Plugin, tag: string): Promise<void> {
  assert.equal(await p.exec('echo', { after: tag }), { after: tag });
}

test.before(async () => {
  process.env.POCKET_SANDBOX_OK = 'granted-value';
  process.env.POCKET_SANDBOX_SECRET = 'must-not-leak';
  [c, ts] = await Promise.all([stage('sandbox-c'), stage('sandbox-ts-caps')]);
  for (const dir of [c.dir, ts.dir]) {
    symlinkSync('/etc', join(dir, 'data', 'etc-link'));
    symlinkSync('../..', join(dir, 'data', 'up-link'));
    symlinkSync('hello.txt', join(dir, 'data', 'ok-link'));
  }
  cPlugin = await loadPlugin(c.wasm, { cacheDir: CACHE_DIR, log: (r) => void cLogs.push(r), pool: 1 });
  tsPlugin = await loadPlugin(ts.wasm, { cacheDir: CACHE_DIR, pool: 1 });
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.after(async () => {
  await cPlugin?.close();
  await tsPlugin?.close();
  server?.close();
});

test('the plugin sees its directories at /data (read-only) and /out (writable), resolved from its project', () => {
  assert.equal(cPlugin.permissions?.filesystem.map((d) => [d.guest, d.writable]), [
    ['/data', false],
    ['/out', true],
  ]);
  assert.equal(cPlugin.permissions?.env, ['POCKET_SANDBOX_OK']);
});

// ---- filesystem attacks (C, wasi-libc) ----

test('C: reading /etc/passwd is refused (no directory covers it)', async () => {
  await expectError(exec(cPlugin, 'read', { path: '/etc/passwd' }), 'permission-denied', /open \/etc\/passwd: /);
  await good(cPlugin, 'passwd');
});

test('C: a `..` escape from /data is refused', async () => {
  await expectError(exec(cPlugin, 'read', { path: '/data/../../etc/passwd' }), 'permission-denied', /\/data\/\.\.\/\.\.\/etc\/passwd/);
  await expectError(exec(cPlugin, 'read', { path: '/out/../data/hello.txt' }), 'permission-denied');
  await good(cPlugin, 'dotdot');
});

test('C: symlinks out of the tree are refused (absolute and relative); inside the tree they work', async () => {
  await expectError(exec(cPlugin, 'read', { path: '/data/etc-link/passwd' }), 'permission-denied');
  await expectError(exec(cPlugin, 'read', { path: '/data/up-link/etc/passwd' }), 'permission-denied');
  assert.equal(await exec(cPlugin, 'read', { path: '/data/ok-link' }), { text: 'hello from data\n' });
  await good(cPlugin, 'symlink');
});

test('C: writing into the read-only directory is refused; nothing is written', async () => {
  await expectError(exec(cPlugin, 'write', { path: '/data/new.txt', text: 'x' }), 'permission-denied', /Read-only file system/i);
  assert.not.ok(existsSync(join(c.dir, 'data', 'new.txt')));
  await good(cPlugin, 'ro');
});

test('C: granted: reading /data, listing it, writing /out (the file lands in the project folder)', async () => {
  assert.equal(await exec(cPlugin, 'read', { path: '/data/hello.txt' }), { text: 'hello from data\n' });
  const listed = (await exec(cPlugin, 'list', { path: '/data' })) as { entries: string[] };
  assert.ok(listed.entries.includes('hello.txt'));
  assert.equal(await exec(cPlugin, 'write', { path: '/out/result.txt', text: 'written by C' }), { ok: true });
  assert.is(readFileSync(join(c.dir, 'out', 'result.txt'), 'utf8'), 'written by C');
  assert.equal(await exec(cPlugin, 'read', { path: '/out/result.txt' }), { text: 'written by C' });
});

// ---- environment, exit, stdio, traps, clocks ----

test('C: an env var that is not granted is not there; the granted one is', async () => {
  assert.equal(await exec(cPlugin, 'env', { name: 'POCKET_SANDBOX_SECRET' }), { value: null });
  assert.equal(await exec(cPlugin, 'env', { name: 'PATH' }), { value: null });
  assert.equal(await exec(cPlugin, 'env', { name: 'POCKET_SANDBOX_OK' }), { value: 'granted-value' });
});

test('C: exit() becomes a plugin error, never the host process exiting', async () => {
  await expectError(exec(cPlugin, 'exit', { code: 3 }), 'plugin-error', /sandbox-c\/exit \(exec\) called exit\(1\); a plugin must return, not exit/);
  await good(cPlugin, 'exit');
});

test('C: a stdout flood goes to the logger under the plugin name, capped per call', async () => {
  const sink = recordingSink();
  const r = await cPlugin.exec('print', { lines: 50_000, stream: 'stdout' }, { log: sink.sink });
  assert.equal(r, { printed: 50_000 });
  const lines = sink.records.filter((x) => x.fields?.stream === 'stdout');
  assert.is(lines.length, 201);
  assert.equal([lines[0]!.plugin, lines[0]!.node, lines[0]!.message], ['sandbox-c', 'print', 'stdout line 1']);
  assert.match(lines[200]!.message, /49800 more line\(s\) of stdout dropped/);
  await good(cPlugin, 'flood');
});

test('C: stderr is logged as warnings', async () => {
  const sink = recordingSink();
  await cPlugin.exec('print', { lines: 2, stream: 'stderr', text: 'careful' }, { log: sink.sink });
  assert.equal(sink.records.map((x) => [x.level, x.message, x.fields]), [
    ['warn', 'careful', { stream: 'stderr' }],
    ['warn', 'careful', { stream: 'stderr' }],
  ]);
});

test('C: a trap, deep recursion, an allocation bomb, a busy loop: each its code, then a good call', async () => {
  await expectError(exec(cPlugin, 'trap', {}), 'trap', /sandbox-c\/trap \(exec\) trapped/);
  await good(cPlugin, 'trap');
  await expectError(exec(cPlugin, 'recurse', { depth: 1_000_000 }), 'trap');
  await good(cPlugin, 'recurse');
  await expectError(exec(cPlugin, 'alloc', { chunk_mb: 4 }), 'memory-limit', /memory limit of 64 MB/);
  await good(cPlugin, 'alloc');
  const quick = await loadPlugin(c.wasm, { cacheDir: CACHE_DIR, pool: 1, permissions: { timeout: 300 } });
  try {
    await expectError(exec(quick, 'spin', {}), 'timeout', /did not finish within its timeout of 300 ms/);
    await good(quick, 'spin');
  } finally {
    await quick.close();
  }
});

test('C: clocks and secure random are allowed', async () => {
  const r = (await exec(cPlugin, 'time', {})) as { wall_ms: number; random: string };
  assert.ok(Math.abs(r.wall_ms - Date.now()) < 60_000);
  assert.match(r.random, /^[0-9a-f]{16}$/);
});

test('C: the host grants less than the manifest asks: no /out, no env', async () => {
  const less = await loadPlugin(c.wasm, { cacheDir: CACHE_DIR, pool: 1, permissions: { filesystem: ['./data'], env: [] } });
  try {
    assert.equal(less.permissions?.filesystem.map((d) => d.guest), ['/data']);
    await expectError(exec(less, 'write', { path: '/out/x.txt', text: 'x' }), 'permission-denied');
    assert.equal(await exec(less, 'env', { name: 'POCKET_SANDBOX_OK' }), { value: null });
    assert.equal(await exec(less, 'read', { path: '/data/hello.txt' }), { text: 'hello from data\n' });
  } finally {
    await less.close();
  }
});

test('C: a plugin that hangs while instantiating fails to load with timeout; the host goes on', async () => {
  const hang = await stage('sandbox-c-hang');
  process.env.POCKET_SANDBOX_HANG = '1';
  try {
    const t = performance.now();
    await expectError(loadPlugin(hang.wasm, { cacheDir: CACHE_DIR, pool: 1 }), 'timeout', /sandbox-c-hang did not finish starting within 2000 ms \(its instantiation hangs/);
    assert.ok(performance.now() - t < 10_000);
  } finally {
    delete process.env.POCKET_SANDBOX_HANG;
  }
  const fine = await loadPlugin(hang.wasm, { cacheDir: CACHE_DIR, pool: 1 });
  await good(fine, 'hang');
  await fine.close();
  await good(cPlugin, 'after-hang');
});

test('C through the CLI: the plugin’s stdout never reaches the host’s stdout', async () => {
  const r = await runCli(['run', c.dir, 'print', '--input', '{"lines":3000,"stream":"stdout"}', '--json', '--log-level', 'warn']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '{"output":{"printed":3000},"next":"default"}\n');
});

// ---- the TypeScript SDK: ctx.env, ctx.fs, ctx.fetch, and a raw socket ----

test('TS: granted env, files and HTTP work', async () => {
  assert.equal(await exec(tsPlugin, 'env', { name: 'POCKET_SANDBOX_OK' }), { value: 'granted-value' });
  assert.equal(await exec(tsPlugin, 'read', { path: '/data/hello.txt' }), { text: readFileSync(join(ts.dir, 'data', 'hello.txt'), 'utf8') });
  assert.equal(await exec(tsPlugin, 'write', { path: '/out/ts.txt', text: 'from TS' }), { ok: true });
  assert.is(readFileSync(join(ts.dir, 'out', 'ts.txt'), 'utf8'), 'from TS');
  assert.equal(await exec(tsPlugin, 'fetch', { url: `http://127.0.0.1:${port}/ping` }), { status: 200, body: 'hello GET /ping' });
});

test('TS: an env var not granted is permission-denied', async () => {
  await expectError(exec(tsPlugin, 'env', { name: 'POCKET_SANDBOX_SECRET' }), 'permission-denied');
  await good(tsPlugin, 'env');
});

test('TS: /etc/passwd, `..`, symlink escapes and writes to /data are permission-denied', async () => {
  await expectError(exec(tsPlugin, 'read', { path: '/etc/passwd' }), 'permission-denied');
  await expectError(exec(tsPlugin, 'read', { path: '/data/../../etc/passwd' }), 'permission-denied');
  await expectError(exec(tsPlugin, 'read', { path: '/data/etc-link/passwd' }), 'permission-denied');
  await expectError(exec(tsPlugin, 'read', { path: '/data/up-link/etc/passwd' }), 'permission-denied');
  await expectError(exec(tsPlugin, 'write', { path: '/data/x.txt', text: 'x' }), 'permission-denied');
  assert.not.ok(existsSync(join(ts.dir, 'data', 'x.txt')));
  await good(tsPlugin, 'fs');
});

test('TS: HTTP to a host not granted is permission-denied, and nothing is sent', async () => {
  let hits = 0;
  const spy = createServer((_req, res) => {
    hits++;
    res.end('no');
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.2', resolve));
  try {
    const p = (spy.address() as AddressInfo).port;
    await expectError(exec(tsPlugin, 'fetch', { url: `http://localhost:${port}/` }), 'permission-denied');
    await expectError(exec(tsPlugin, 'fetch', { url: `http://127.0.0.2:${p}/` }), 'permission-denied');
    assert.is(hits, 0);
  } finally {
    spy.close();
  }
  await good(tsPlugin, 'http');
});

test('TS: opening a socket is permission-denied', async () => {
  await expectError(exec(tsPlugin, 'socket', {}), 'permission-denied');
  await good(tsPlugin, 'socket');
});

test('TS: a plugin that declares no permissions gets permission-denied from every capability, and imports no WASI', async () => {
  const none = await stage('sandbox-ts-nocaps');
  const p = await loadPlugin(none.wasm, { cacheDir: CACHE_DIR, pool: 1 });
  try {
    await expectError(exec(p, 'env', { name: 'POCKET_SANDBOX_OK' }), 'permission-denied');
    await expectError(exec(p, 'read', { path: '/data/hello.txt' }), 'permission-denied');
    await expectError(exec(p, 'fetch', { url: `http://127.0.0.1:${port}/` }), 'permission-denied');
    await good(p, 'nocaps');
  } finally {
    await p.close();
  }
});

test.run();
