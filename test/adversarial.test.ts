/**
 * The adversarial catalogue: one table of attacks on the host, across the four plugin languages
 * (TypeScript, Rust, Go, C: real fixtures, real builds, real worker threads), crafted component
 * files and plugin archives. Every entry names its language, the attack and what must come of
 * it: an exact error code, or a call that succeeds with what it sent capped. After each attack
 * the same three things are asserted:
 *
 *   (a) the exact code (and, where it matters, what was capped or not applied);
 *   (b) the host stayed responsive: a timer scheduled before the attack fired on time, and the
 *       longest event-loop block during the attack (`perf_hooks.monitorEventLoopDelay`) stays
 *       under LOOP_BOUND_MS (generous, so a shared CI machine is not flaky; the figure is printed);
 *   (c) the next call on the same plugin is served (its `echo`); files and archives, which have
 *       no plugin of their own, ask the witness plugin.
 *
 * The per-area tests (sandbox*.test.ts, go*.test.ts, install-archive, load-errors) go deep on
 * their area and its messages; this file's value is breadth, in one place, with one set of
 * assertions. Timeouts are shortened by grants (a grant can only narrow) to keep it quick.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { componentize } from 'componentize-qjs';
import { create, Header } from 'tar';
import {
  loadPlugin,
  Plugin,
  PluginError,
  readPluginSection,
  withUnpackedArchive,
  writePluginSection,
  type ErrorCode,
  type LoadOptions,
  type LogRecord,
} from '../host/src/index.js';
import { appendCustomSection } from '../host/src/component-sections.js';
import { buildPlugin } from '../tools/build/build.js';
import { built, CACHE_DIR, ROOT, tempDir } from './helpers.js';

/** The longest event-loop block any attack may cause (the figures are far below it). */
const LOOP_BOUND_MS = 500;
/** The timer scheduled before each attack: due after this long. */
const TIMER_MS = 20;
/**
 * The timeout granted for the busy-loop and hang attacks. It bounds instantiation too: QuickJS
 * and the Go runtime start in a few hundred ms on a busy 2-core machine, Rust and C at once.
 */
const SHORT_TIMEOUT = { quick: '300ms', slow: '1s' } as const;
const MB = 1024 * 1024;

const work = tempDir('pocket-wit-adversarial-');

// ---------------------------------------------------------------------------------------------
// The plugins under attack, loaded once (in `before`)

const fixture = (name: string) => join(ROOT, 'test', 'fixtures', name);
const plugins: Record<string, Plugin> = {};
/** Why a group of the setup failed (a fixture that did not build or load): its entries fail with it. */
const setupErrors: Record<string, unknown> = {};
const on =
  (key: string) =>
  (): Plugin => {
    const p = plugins[key];
    if (!p) throw new Error(`plugin ${key} was not loaded: ${String(setupErrors[key.replace(/(Fast|Small)$/, '')] ?? 'see above')}`);
    return p;
  };

/** A log sink per attack: what the plugin's calls delivered. */
let logs: LogRecord[] = [];
const sink = (r: LogRecord): void => void logs.push(r);

async function load(key: string, file: string, options: LoadOptions = {}): Promise<void> {
  plugins[key] = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, log: sink, ...options });
}

/** The plugin loaded under `key`, or the reason it was not (its setup group's error). */
const plug = (key: string): Plugin => on(key)();

/** Something the setup made, or the reason it was not made. */
function made<T>(thing: T | undefined, groupName: string): T {
  if (thing === undefined || thing === '') throw new Error(`not made: ${String(setupErrors[groupName] ?? 'see above')}`);
  return thing;
}
const craftedFile = (name: string): Uint8Array => made(crafted[name], 'rust');

/** The C and TypeScript capability fixtures read `./data` relative to their project folders. */
const baseDir = (name: string): LoadOptions => ({ baseDir: fixture(name) });

/** hostile-rust's component: the witness, and the base of the crafted files. */
let rustFile = '';

// ---------------------------------------------------------------------------------------------
// Local servers (HTTP attacks) and crafted inputs, made before the clock starts

let servers: Server[] = [];
async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server streaming an endless body (up to 1 GB), honouring back-pressure; `sent` counts bytes. */
const bodyBomb = { url: '', sent: 0 };
/** A server that accepts and never answers. */
let silentUrl = '';
/** A server redirecting to another one (127.0.0.2, not granted) that counts its hits. */
const redirect = { url: '', hits: 0 };

async function startServers(): Promise<void> {
  bodyBomb.url = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const pump = (): void => {
      while (bodyBomb.sent < 1024 * MB && !res.destroyed) {
        bodyBomb.sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  silentUrl = await listen(() => {});
  const spy = createServer((_req, res) => {
    redirect.hits++;
    res.end('followed');
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.2', resolve));
  servers.push(spy);
  const target = `http://127.0.0.2:${(spy.address() as AddressInfo).port}/secret`;
  redirect.url = await listen((_req, res) => {
    res.writeHead(302, { location: target });
    res.end();
  });
}

/** Crafted component bytes, by name. */
const crafted: Record<string, Uint8Array> = {};

function withSection(bytes: Uint8Array, edit: (section: Record<string, unknown>) => void): Uint8Array {
  const section = readPluginSection(bytes) as unknown as Record<string, unknown>;
  const copy = JSON.parse(JSON.stringify(section)) as Record<string, unknown>;
  edit(copy);
  // The last section of a name wins: the appended one is what the host reads.
  return writePluginSection(bytes, copy as never);
}

async function craftFiles(): Promise<void> {
  const good = new Uint8Array(readFileSync(rustFile));
  crafted['not-wasm'] = new TextEncoder().encode('#!/bin/sh\necho "I am not WebAssembly"\n');
  crafted.truncated = good.subarray(0, Math.floor(good.length / 2));
  // A real core module: cargo's output, before it was wrapped into a component.
  crafted.core = new Uint8Array(readFileSync(join(fixture('hostile-rust'), 'target/wasm32-unknown-unknown/release/hostile_rust.wasm')));
  const other = fixture('other-world');
  const { component } = await componentize({
    witPath: join(other, 'world.wit'),
    jsSource: readFileSync(join(other, 'greeter.js'), 'utf8'),
    world: 'greeter',
    stubWasi: true,
    sync: true,
    optSize: true,
  });
  crafted['other-world'] = new Uint8Array(component);
  crafted['section-not-json'] = appendCustomSection(good, 'pocket-wit:plugin', new TextEncoder().encode('{"format":1,"world":"pocket:plugin@0.2.0",'));
  crafted['section-bad-manifest'] = withSection(good, (s) => void (s.manifest = { name: 42, nodes: 'all of them' }));
  crafted['huge-section'] = appendCustomSection(good, 'junk', new Uint8Array(100 * MB).fill(0x4a));
  // 43,200 minutes: 30 days, past setTimeout's 2^31-1 ms (Node would fire it after 1 ms).
  crafted['timeout-overflow'] = withSection(good, (s) => void ((s.manifest as { permissions: Record<string, string> }).permissions.timeout = '43200m'));
  crafted['memory-absurd'] = withSection(good, (s) => void ((s.manifest as { permissions: Record<string, string> }).permissions.memory = '1024GB'));
}

/** A C plugin whose constructor (run while instantiating) allocates until malloc fails, then aborts. */
async function buildStartBomb(): Promise<string> {
  const dir = join(work, 'start-bomb-c');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'manifest.yaml'),
    [
      'name: start-bomb-c',
      'version: 0.1.0',
      'description: allocates until malloc fails while it is instantiated (when POCKET_ADVERSARIAL_BOMB is set)',
      'permissions: { memory: 16MB, timeout: 5s, env: [POCKET_ADVERSARIAL_BOMB] }',
      'nodes:',
      '  - { type: echo, category: test, description: Returns its input }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'src/plugin.c'),
    `#include "pocket_plugin.h"
#include <stdlib.h>
#include <string.h>
/* Every block is kept (a list through a volatile head), or clang would elide the allocations. */
static void *volatile kept;
/* The build instantiates the plugin to read its nodes: the bomb goes off only when asked. */
__attribute__((constructor)) static void bomb(void) {
  if (!getenv("POCKET_ADVERSARIAL_BOMB")) return;
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) __builtin_trap();
    memset(p, 1, 1 << 20);
    *(void **)p = kept;
    kept = p;
  }
}
bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err) {
  (void)err;
  *out = call->prep_result;
  return true;
}
`,
  );
  return (await buildPlugin(dir, { out: join(dir, 'start-bomb-c.wasm') })).out;
}
let startBomb = '';

// ---------------------------------------------------------------------------------------------
// Archives (small local copies of test/install-archive.test.ts's helpers), made before the clock

const archives: Record<string, string> = {};
const MANIFEST = 'name: packed\nversion: 1.0.0\n';

async function tgz(name: string, fill: (pkg: string, stage: string) => string[], options: { preservePaths?: boolean } = {}): Promise<string> {
  const stage = join(work, `stage-${name}`);
  const pkg = join(stage, 'package');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'manifest.yaml'), MANIFEST);
  const entries = fill(pkg, stage);
  const file = join(work, `${name}.tgz`);
  await create({ gzip: true, file, cwd: stage, portable: true, ...(options.preservePaths ? { preservePaths: true } : {}) }, entries);
  return file;
}

function deviceTgz(): string {
  const header = (path: string, type: 'Directory' | 'CharacterDevice'): Buffer => {
    const h = new Header({ path, type, mode: type === 'Directory' ? 0o755 : 0o644, size: 0, mtime: new Date(0), uid: 0, gid: 0, devmaj: 1, devmin: 3 });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    return block;
  };
  const file = join(work, 'device.tgz');
  writeFileSync(file, gzipSync(Buffer.concat([header('package/', 'Directory'), header('package/null', 'CharacterDevice'), Buffer.alloc(1024)])));
  return file;
}

async function craftArchives(): Promise<void> {
  const secret = join(work, 'host-secret.txt');
  writeFileSync(secret, 'secret');
  archives.symlink = await tgz('symlink', (pkg) => (symlinkSync(secret, join(pkg, 'README.md')), ['package']));
  archives.hardlink = await tgz('hardlink', (pkg) => (writeFileSync(join(pkg, 'a.txt'), 'a'), linkSync(join(pkg, 'a.txt'), join(pkg, 'b.txt')), ['package']));
  archives.dotdot = await tgz('dotdot', (_pkg, stage) => (writeFileSync(join(stage, '..', 'escaped.txt'), 'x'), ['package', '../escaped.txt']), { preservePaths: true });
  archives.absolute = await tgz('absolute', () => ['package', secret], { preservePaths: true });
  archives.device = deviceTgz();
  archives.entries = await tgz('entries', (pkg) => {
    mkdirSync(join(pkg, 'src'));
    for (let i = 0; i < 1500; i++) writeFileSync(join(pkg, 'src', `f${i}.txt`), '');
    return ['package'];
  });
  archives.expansion = await tgz('expansion', (pkg) => (writeFileSync(join(pkg, 'zeros.bin'), Buffer.alloc(100 * MB)), ['package']));
  archives.garbage = join(work, 'garbage.tgz');
  writeFileSync(archives.garbage, Buffer.alloc(4096, 0x1f));
}

/** Unpack an archive as `pocket-wit install` does; the callback must never run. */
const unpack = (name: string) => (): Promise<unknown> => withUnpackedArchive(made(archives[name], 'archives'), async () => assert.unreachable(`${name}: the archive was unpacked`));

// ---------------------------------------------------------------------------------------------
// The catalogue

type Language = 'TypeScript' | 'Rust' | 'Go' | 'C' | 'file' | 'archive';

interface Outcome {
  error?: PluginError;
  value?: unknown;
}

interface Attack {
  language: Language;
  attack: string;
  /** The exact error code, or (`ok`) what a successful call must have had capped. */
  expect: ErrorCode | { ok: string };
  /** The plugin attacked; its `echo` must be served afterwards. Files and archives: the witness. */
  on: () => Plugin;
  run: () => Promise<unknown>;
  /** More about the outcome: what was capped, what was not applied, what was not sent. */
  check?: (outcome: Outcome) => void | Promise<void>;
  /** The hole this entry guards, when its fix is a recent one (for the reader and the figures). */
  fix?: string;
}

const witness = on('rust');
/** The store of the store attacks: checked afterwards for what must not have been applied. */
let store = new Map<string, unknown>();

const CAPS = 'per-call caps (host-api.ts, plugin.ts)';
const HTTP_STREAM = 'HTTP bodies capped while streaming (http-gate.ts)';
const MANIFEST_BOUNDS = 'manifest bounds at load (manifest.ts, policy.ts)';
const START_BOMB = 'a memory bomb while starting is memory-limit (engine.ts, memory-cap.ts, instantiate.ts)';
const LOAD_ON_HOST_THREAD = 'none yet: loading hashes and transpiles the component on the host thread (component.ts, transpile.ts)';
const GO_RUNNER = 'Go runner framing and caps (command-runner.ts, command-worker.ts)';

/** The log records of the call: at most 1,000 plus one warning that says how many were dropped. */
function cappedLogs(max = 1000): void {
  const dropped = logs.filter((r) => r.level === 'warn' && /dropped/i.test(r.message));
  assert.ok(logs.length <= max + 1, `${logs.length} log records delivered, more than ${max} + 1 warning`);
  assert.is(dropped.length, 1, `one warning about the dropped records (got ${dropped.length})`);
}

function storeUntouched(): void {
  assert.equal([...store.keys()], [], 'nothing the failed call wrote is in the store');
}

const CATALOGUE: Attack[] = [
  // ---- TypeScript (QuickJS): test/fixtures/sandbox-ts, sandbox-ts-caps ----
  { language: 'TypeScript', attack: 'busy loop', expect: 'timeout', on: on('tsFast'), run: () => plug('tsFast').exec('spin', {}) },
  { language: 'TypeScript', attack: 'deep recursion', expect: 'trap', on: on('ts'), run: () => plug('ts').exec('recurse', {}) },
  { language: 'TypeScript', attack: 'allocation bomb (64 MB cap)', expect: 'memory-limit', on: on('ts'), run: () => plug('ts').exec('alloc', {}) },
  { language: 'TypeScript', attack: 'output of 4 MB over a 1 MB output limit', expect: 'size-limit', on: on('tsSmall'), run: () => plug('tsSmall').exec('big-output', { mb: 4 }) },
  { language: 'TypeScript', attack: 'input of 4 KB over a 1 KB input limit', expect: 'size-limit', on: on('tsSmall'), run: () => plug('tsSmall').runNode('echo', { input: { text: 'z'.repeat(4096) } }) },
  {
    language: 'TypeScript',
    attack: 'log flood (50,000 records from exec)',
    expect: { ok: 'at most 1,000 records delivered, one warning' },
    on: on('ts'),
    run: () => plug('ts').runNode('chatty', { input: { lines: 50_000 } }),
    check: ({ value }) => {
      assert.equal((value as { output: { logged: number } }).output.logged, 50_000);
      cappedLogs();
    },
    fix: CAPS,
  },
  { language: 'TypeScript', attack: 'env variable not granted', expect: 'permission-denied', on: on('caps'), run: () => plug('caps').exec('env', { name: 'POCKET_ADVERSARIAL_SECRET' }) },
  { language: 'TypeScript', attack: 'read /etc/passwd', expect: 'permission-denied', on: on('caps'), run: () => plug('caps').exec('read', { path: '/etc/passwd' }) },
  { language: 'TypeScript', attack: '`..` out of /data', expect: 'permission-denied', on: on('caps'), run: () => plug('caps').exec('read', { path: '/data/../../../etc/passwd' }) },
  {
    language: 'TypeScript',
    attack: 'write into the read-only /data',
    expect: 'permission-denied',
    on: on('caps'),
    run: () => plug('caps').exec('write', { path: '/data/planted.txt', text: 'x' }),
    check: () => assert.not.ok(existsSync(join(fixture('sandbox-ts-caps'), 'data', 'planted.txt')), 'nothing written'),
  },
  {
    language: 'TypeScript',
    attack: 'HTTP to a host not granted',
    expect: 'permission-denied',
    on: on('caps'),
    run: () => plug('caps').exec('fetch', { url: redirect.url.replace('127.0.0.1', 'localhost') }),
  },
  { language: 'TypeScript', attack: 'raw wasi:sockets TCP socket', expect: 'permission-denied', on: on('caps'), run: () => plug('caps').exec('socket', {}) },
  {
    language: 'TypeScript',
    attack: 'HTTP redirect to a host not granted',
    expect: { ok: 'the plugin sees the 302; the redirect is not followed' },
    on: on('caps'),
    run: () => plug('caps').exec('fetch', { url: redirect.url }),
    check: ({ value }) => {
      assert.is((value as { status: number }).status, 302);
      assert.is(redirect.hits, 0, 'the host not granted got no request');
    },
  },
  {
    language: 'TypeScript',
    attack: 'HTTP body bomb (an endless response)',
    expect: 'plugin-error',
    on: on('caps'),
    run: () => plug('caps').exec('fetch', { url: `${bodyBomb.url}/bomb` }),
    check: ({ error }) => {
      assert.equal(error?.details, { wasi: 'HTTP-response-body-size' }, 'the plugin got HTTP-response-body-size');
      assert.ok(bodyBomb.sent < 64 * MB, `the host stopped reading at the cap (the server sent ${(bodyBomb.sent / MB).toFixed(0)} MB)`);
    },
    fix: HTTP_STREAM,
  },
  { language: 'TypeScript', attack: 'HTTP server that never answers', expect: 'timeout', on: on('capsFast'), run: () => plug('capsFast').exec('fetch', { url: `${silentUrl}/hang` }) },

  // ---- Rust: test/fixtures/hostile-rust ----
  { language: 'Rust', attack: 'busy loop', expect: 'timeout', on: on('rustFast'), run: () => plug('rustFast').exec('spin', {}) },
  { language: 'Rust', attack: 'panic', expect: 'trap', on: on('rust'), run: () => plug('rust').exec('panic', {}) },
  { language: 'Rust', attack: 'deep recursion', expect: 'trap', on: on('rust'), run: () => plug('rust').exec('recurse', {}) },
  { language: 'Rust', attack: 'allocation bomb (32 MB cap)', expect: 'memory-limit', on: on('rustMem'), run: () => plug('rustMem').exec('alloc', {}) },
  { language: 'Rust', attack: 'output of 17 MB (limit 16 MB)', expect: 'size-limit', on: on('rust'), run: () => plug('rust').exec('big-output', { mb: 17 }) },
  {
    language: 'Rust',
    attack: 'store write in exec (raw host import)',
    expect: 'permission-denied',
    on: on('rust'),
    run: () => plug('rust').exec('store-in-exec', {}, { store }),
    check: storeUntouched,
  },
  {
    language: 'Rust',
    attack: 'log flood (200,000 records)',
    expect: { ok: 'at most 1,000 records delivered, one warning' },
    on: on('rust'),
    run: () => plug('rust').exec('log-flood', { records: 200_000 }),
    check: ({ value }) => {
      assert.equal(value, { logged: 200_000 });
      cappedLogs();
    },
    fix: CAPS,
  },
  {
    language: 'Rust',
    attack: 'error message of 10 MB',
    expect: 'plugin-error',
    on: on('rust'),
    run: () => plug('rust').exec('huge-error', { message_mb: 10 }),
    check: ({ error }) => assert.ok(Buffer.byteLength(error!.message) <= 9 * 1024, `message cut to about 8 KB (got ${Buffer.byteLength(error!.message)} bytes)`),
    fix: CAPS,
  },
  {
    language: 'Rust',
    attack: 'error details of 10 MB',
    expect: 'plugin-error',
    on: on('rust'),
    run: () => plug('rust').exec('huge-error', { message_mb: 0, details_mb: 10 }),
    check: ({ error }) => {
      const bytes = Buffer.byteLength(JSON.stringify(error!.details ?? null));
      assert.ok(bytes <= 65 * 1024, `details replaced past 64 KB (got ${bytes} bytes)`);
    },
    fix: CAPS,
  },
  { language: 'Rust', attack: 'action name of 1 MB', expect: 'size-limit', on: on('rust'), run: () => plug('rust').runNode('huge-action', { input: { kb: 1024 } }), fix: CAPS },
  { language: 'Rust', attack: 'exec result that is not JSON', expect: 'plugin-error', on: on('rust'), run: () => plug('rust').exec('not-json', {}) },
  {
    language: 'Rust',
    attack: 'store flood: 100 MB set in one call',
    expect: 'size-limit',
    on: on('rust'),
    run: () => plug('rust').runNode('store-flood', { input: { mb: 100 }, store }),
    check: storeUntouched,
    fix: CAPS,
  },
  {
    language: 'Rust',
    attack: 'store flood over one run: 7 MB per call, 10 calls',
    expect: 'size-limit',
    on: on('rust'),
    run: async () => {
      for (let call = 0; call < 10; call++) await plug('rust').runNode('store-flood', { input: { mb: 7, prefix: `call${call}` }, store });
    },
    check: () => {
      const calls = new Set([...store.keys()].map((k) => k.split('-')[0]));
      assert.ok(calls.size >= 8 && calls.size <= 9, `the run held at most 64 MB: ${calls.size} calls of 7 MB applied`);
      assert.not.ok(calls.has('call9'), 'the call over the run cap applied nothing');
    },
    fix: CAPS,
  },
  {
    language: 'Rust',
    attack: 'store writes, then a panic',
    expect: 'trap',
    on: on('rust'),
    run: () => plug('rust').runNode('write-then-panic', { input: {}, store }),
    check: storeUntouched,
    fix: CAPS,
  },

  // ---- C (wasi-libc): test/fixtures/sandbox-c ----
  { language: 'C', attack: 'trap (__builtin_trap)', expect: 'trap', on: on('c'), run: () => plug('c').exec('trap', {}) },
  { language: 'C', attack: 'busy loop', expect: 'timeout', on: on('cFast'), run: () => plug('cFast').exec('spin', {}) },
  { language: 'C', attack: 'stack overflow (4 KB frames)', expect: 'trap', on: on('c'), run: () => plug('c').exec('recurse', { depth: 1_000_000 }) },
  { language: 'C', attack: 'allocation bomb (64 MB cap)', expect: 'memory-limit', on: on('c'), run: () => plug('c').exec('alloc', { chunk_mb: 4 }) },
  { language: 'C', attack: 'exit(3)', expect: 'plugin-error', on: on('c'), run: () => plug('c').exec('exit', { code: 3 }) },
  { language: 'C', attack: 'output of 17 MB (limit 16 MB)', expect: 'size-limit', on: on('c'), run: () => plug('c').exec('big-output', { mb: 17 }) },
  {
    language: 'C',
    attack: 'stdout flood (50,000 lines)',
    expect: { ok: '200 lines logged, then one line saying how many were dropped' },
    on: on('c'),
    run: () => plug('c').exec('print', { lines: 50_000, stream: 'stdout' }),
    check: () => {
      const lines = logs.filter((r) => r.fields?.stream === 'stdout');
      assert.is(lines.length, 201);
      assert.match(lines[200]!.message, /49800 more line\(s\) of stdout dropped/);
    },
  },
  { language: 'C', attack: 'read /etc/passwd', expect: 'permission-denied', on: on('c'), run: () => plug('c').exec('read', { path: '/etc/passwd' }) },
  { language: 'C', attack: '`..` out of /data', expect: 'permission-denied', on: on('c'), run: () => plug('c').exec('read', { path: '/data/../../etc/passwd' }) },
  {
    language: 'C',
    attack: 'write into the read-only /data',
    expect: 'permission-denied',
    on: on('c'),
    run: () => plug('c').exec('write', { path: '/data/planted.txt', text: 'x' }),
    check: () => assert.not.ok(existsSync(join(fixture('sandbox-c'), 'data', 'planted.txt')), 'nothing written'),
  },
  {
    language: 'C',
    attack: 'getenv of a variable not granted',
    expect: { ok: 'the variable is not there (null)' },
    on: on('c'),
    run: () => plug('c').exec('env', { name: 'POCKET_ADVERSARIAL_SECRET' }),
    check: ({ value }) => assert.equal(value, { value: null }),
  },
  {
    language: 'C',
    attack: 'memory bomb while instantiating (16 MB cap)',
    expect: 'memory-limit',
    on: witness,
    run: async () => {
      process.env.POCKET_ADVERSARIAL_BOMB = '1';
      try {
        return await loadPlugin(made(startBomb, 'c'), { cacheDir: CACHE_DIR, pool: 1, log: sink });
      } finally {
        delete process.env.POCKET_ADVERSARIAL_BOMB;
      }
    },
    fix: START_BOMB,
  },

  // ---- Go (a WASI command, the command runner): test/fixtures/hostile-go ----
  { language: 'Go', attack: 'busy loop', expect: 'timeout', on: on('goFast'), run: () => plug('goFast').exec('busy', {}) },
  { language: 'Go', attack: 'panic', expect: 'trap', on: on('go'), run: () => plug('go').exec('panic', {}) },
  { language: 'Go', attack: 'allocation bomb (64 MB cap)', expect: 'memory-limit', on: on('go'), run: () => plug('go').exec('alloc-bomb', {}) },
  { language: 'Go', attack: 'input of 4 KB over a 1 KB input limit', expect: 'size-limit', on: on('goSmall'), run: () => plug('goSmall').runNode('echo', { input: { text: 'z'.repeat(4096) } }) },
  { language: 'Go', attack: 'forged frame header claiming 2 GB, then 8 MB', expect: 'size-limit', on: on('go'), run: () => plug('go').exec('frame-header', { bytes: 2 ** 31, fill: 8 * MB }), fix: GO_RUNNER },
  { language: 'Go', attack: 'result of 4 MB over a 1 MB output limit', expect: 'size-limit', on: on('goSmall'), run: () => plug('goSmall').exec('big-result', { mb: 4 }), fix: GO_RUNNER },
  {
    language: 'Go',
    attack: 'stderr line of 8 MB, no newline',
    expect: { ok: 'logged cut short' },
    on: on('go'),
    run: () => plug('go').exec('stderr-line', { mb: 8 }),
    check: () => {
      const bytes = logs.reduce((n, r) => n + r.message.length, 0);
      assert.ok(bytes < 1 * MB, `at most 1 MB of stderr reached the log (got ${bytes} bytes)`);
    },
    fix: GO_RUNNER,
  },
  {
    language: 'Go',
    attack: 'stderr flood (100,000 lines)',
    expect: { ok: '200 lines logged, then one line saying how many were dropped' },
    on: on('go'),
    run: () => plug('go').exec('stderr-lines', { n: 100_000 }),
    check: () => {
      const lines = logs.filter((r) => r.fields?.stream === 'stderr');
      assert.is(lines.length, 201);
      assert.match(lines[200]!.message, /99800 more line\(s\) of stderr dropped/);
    },
    fix: GO_RUNNER,
  },
  { language: 'Go', attack: 'a frame that is not JSON', expect: 'plugin-error', on: on('go'), run: () => plug('go').exec('bad-frame', { kind: 'json' }), fix: GO_RUNNER },
  { language: 'Go', attack: 'a frame of an unknown message type', expect: 'plugin-error', on: on('go'), run: () => plug('go').exec('bad-frame', { kind: 'type' }), fix: GO_RUNNER },
  { language: 'Go', attack: 'a 1 MB frame header, never finished', expect: 'timeout', on: on('goFast'), run: () => plug('goFast').exec('frame-header', { bytes: MB, fill: 10 }), fix: GO_RUNNER },
  {
    language: 'Go',
    attack: 'store flood: 100 MB set in one call (prep)',
    expect: 'size-limit',
    on: on('go'),
    run: () => plug('go').runNode('store-flood', { input: { n: 100, kb: 1024 }, store }),
    check: storeUntouched,
    fix: CAPS,
  },
  {
    language: 'Go',
    attack: 'log flood (10,000 records)',
    expect: { ok: 'at most 1,000 records delivered, one warning' },
    on: on('go'),
    run: () => plug('go').exec('log-flood', { n: 10_000 }),
    check: () => cappedLogs(),
    fix: CAPS,
  },

  // ---- crafted files, loaded with loadPlugin ----
  { language: 'file', attack: 'not WebAssembly (a shell script)', expect: 'invalid-plugin', on: witness, run: () => loadPlugin(craftedFile('not-wasm'), { cacheDir: CACHE_DIR }) },
  { language: 'file', attack: 'a component cut in half', expect: 'invalid-plugin', on: witness, run: () => loadPlugin(craftedFile('truncated'), { cacheDir: CACHE_DIR }) },
  { language: 'file', attack: 'a core module instead of a component', expect: 'invalid-plugin', on: witness, run: () => loadPlugin(craftedFile('core'), { cacheDir: CACHE_DIR }) },
  { language: 'file', attack: 'a component of another world', expect: 'incompatible', on: witness, run: () => loadPlugin(craftedFile('other-world'), { cacheDir: CACHE_DIR }), fix: LOAD_ON_HOST_THREAD },
  { language: 'file', attack: 'pocket-wit:plugin section that is not JSON', expect: 'invalid-plugin', on: witness, run: () => loadPlugin(craftedFile('section-not-json'), { cacheDir: CACHE_DIR }) },
  { language: 'file', attack: 'pocket-wit:plugin section with a broken manifest', expect: 'invalid-manifest', on: witness, run: () => loadPlugin(craftedFile('section-bad-manifest'), { cacheDir: CACHE_DIR }) },
  {
    language: 'file',
    attack: 'a 100 MB custom section',
    expect: { ok: 'loads (custom sections are never run) and serves' },
    on: witness,
    run: () => loadPlugin(craftedFile('huge-section'), { cacheDir: CACHE_DIR, pool: 1, log: sink }),
    check: async ({ value }) => assert.equal(await (value as Plugin).exec('echo', { ok: 1 }), { ok: 1 }),
    fix: LOAD_ON_HOST_THREAD,
  },
  { language: 'file', attack: 'manifest timeout of 30 days (past 2^31-1 ms)', expect: 'invalid-manifest', on: witness, run: () => loadPlugin(craftedFile('timeout-overflow'), { cacheDir: CACHE_DIR, pool: 1, log: sink }), fix: MANIFEST_BOUNDS },
  { language: 'file', attack: 'manifest memory of 1024 GB', expect: 'invalid-manifest', on: witness, run: () => loadPlugin(craftedFile('memory-absurd'), { cacheDir: CACHE_DIR, pool: 1, log: sink }), fix: MANIFEST_BOUNDS },

  // ---- archives, unpacked as `pocket-wit install` does ----
  { language: 'archive', attack: 'symlink entry (to a host file)', expect: 'invalid-plugin', on: witness, run: unpack('symlink') },
  { language: 'archive', attack: 'hard link entry', expect: 'invalid-plugin', on: witness, run: unpack('hardlink') },
  { language: 'archive', attack: '`..` entry path', expect: 'invalid-plugin', on: witness, run: unpack('dotdot') },
  { language: 'archive', attack: 'absolute entry path', expect: 'invalid-plugin', on: witness, run: unpack('absolute') },
  { language: 'archive', attack: 'character device entry', expect: 'invalid-plugin', on: witness, run: unpack('device') },
  { language: 'archive', attack: 'entry-count bomb (1,500 files)', expect: 'size-limit', on: witness, run: unpack('entries') },
  { language: 'archive', attack: 'gzip bomb (100 MB of zeros)', expect: 'size-limit', on: witness, run: unpack('expansion') },
  { language: 'archive', attack: 'not an archive', expect: 'invalid-plugin', on: witness, run: unpack('garbage') },
];

// ---------------------------------------------------------------------------------------------
// Running one attack under watch

interface Figure {
  language: Language;
  attack: string;
  expected: string;
  got: string;
  ms: number;
  loopMaxMs: number;
  timerLateMs: number;
  nextCallMs: number;
}
const figures: Figure[] = [];

/**
 * Run an attack while watching the event loop: a timer due after TIMER_MS (how late it fired),
 * `monitorEventLoopDelay`, and a 5 ms heartbeat (its longest gap, less its interval: a block that
 * spans the whole attack ends before the histogram samples it, the heartbeat sees it).
 */
async function underWatch(run: () => Promise<unknown>): Promise<Outcome & { ms: number; loopMaxMs: number; timerLateMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let last = performance.now();
  let longestGap = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 5);
  const scheduled = performance.now();
  let timerLateMs = Infinity;
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      timerLateMs = performance.now() - scheduled - TIMER_MS;
      resolve();
    }, TIMER_MS),
  );
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    outcome = { value: await run() };
  } catch (err) {
    outcome = { error: err as PluginError };
  }
  const ms = performance.now() - t0;
  await timer;
  // One more beat, so a block that ended with the attack is counted.
  await new Promise((resolve) => setTimeout(resolve, 12));
  clearInterval(heartbeat);
  histogram.disable();
  return { ...outcome, ms, loopMaxMs: Math.max(histogram.max / 1e6, longestGap - 5), timerLateMs };
}

const describe = (e: ErrorCode | { ok: string }): string => (typeof e === 'string' ? e : `ok: ${e.ok}`);

for (const a of CATALOGUE) {
  test(`${a.language}: ${a.attack} → ${describe(a.expect)}`, async () => {
    logs = [];
    store = new Map();
    bodyBomb.sent = 0;
    const watched = await underWatch(a.run);
    const figure: Figure = {
      language: a.language,
      attack: a.attack,
      expected: typeof a.expect === 'string' ? a.expect : 'ok',
      got: watched.error ? String(watched.error.code ?? watched.error) : 'ok',
      ms: watched.ms,
      loopMaxMs: watched.loopMaxMs,
      timerLateMs: watched.timerLateMs,
      nextCallMs: NaN,
    };
    figures.push(figure);
    try {
      // (a) the exact code, or success
      if (typeof a.expect === 'string') {
        assert.ok(watched.error, `expected error[${a.expect}], but the call succeeded: ${JSON.stringify(watched.value)?.slice(0, 200)}`);
        assert.instance(watched.error, PluginError, `expected a PluginError, got ${String(watched.error)}`);
        assert.is(watched.error.code, a.expect, watched.error.message.slice(0, 500));
      } else if (watched.error) {
        assert.unreachable(`expected success (${a.expect.ok}), got ${watched.error.code ?? ''}: ${String(watched.error.message).slice(0, 500)}`);
      }
      await a.check?.(watched);
      // (b) the host stayed responsive
      assert.ok(watched.timerLateMs < LOOP_BOUND_MS, `a timer due in ${TIMER_MS} ms fired ${watched.timerLateMs.toFixed(0)} ms late`);
      assert.ok(watched.loopMaxMs < LOOP_BOUND_MS, `the event loop was blocked for ${watched.loopMaxMs.toFixed(0)} ms`);
      // (c) the next call on the same plugin is served
      const t = performance.now();
      assert.equal(await a.on().exec('echo', { after: a.attack }), { after: a.attack });
      figure.nextCallMs = performance.now() - t;
    } catch (err) {
      // Say which hole the entry guards: a failure here is that hole open again (or not closed yet).
      if (a.fix && err instanceof Error) err.message = `${err.message} [this entry guards: ${a.fix}]`;
      throw err;
    } finally {
      if (watched.value instanceof Plugin) await watched.value.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------

async function group(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    setupErrors[name] = err;
    // uvu prints nothing of a failed `before`; here the other groups go on and this one's entries fail.
    process.stderr.write(`adversarial: setting up ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}

test.before(async () => {
  const fast = { permissions: { timeout: SHORT_TIMEOUT.slow } };
  const small = { limits: { maxInputBytes: 1024, maxOutputBytes: MB } };
  await Promise.all([
    group('ts', async () => {
      const ts = await built('test/fixtures/sandbox-ts');
      await load('ts', ts);
      await load('tsFast', ts, fast);
      await load('tsSmall', ts, small);
    }),
    group('caps', async () => {
      const caps = await built('test/fixtures/sandbox-ts-caps');
      await load('caps', caps, baseDir('sandbox-ts-caps'));
      await load('capsFast', caps, { ...baseDir('sandbox-ts-caps'), ...fast });
    }),
    group('rust', async () => {
      rustFile = await built('test/fixtures/hostile-rust');
      await load('rust', rustFile);
      await load('rustFast', rustFile, { permissions: { timeout: SHORT_TIMEOUT.quick, memory: '32MB' } });
      // The allocation bomb must hit the memory cap, not a short timeout, on a loaded 2-core machine.
      await load('rustMem', rustFile, { permissions: { memory: '32MB' } });
      await craftFiles();
    }),
    group('c', async () => {
      const c = await built('test/fixtures/sandbox-c');
      await load('c', c, baseDir('sandbox-c'));
      await load('cFast', c, { ...baseDir('sandbox-c'), permissions: { timeout: SHORT_TIMEOUT.quick } });
      startBomb = await buildStartBomb();
    }),
    group('go', async () => {
      const go = await built('test/fixtures/hostile-go');
      await load('go', go);
      await load('goFast', go, fast);
      await load('goSmall', go, small);
    }),
    group('archives', craftArchives),
    group('servers', startServers),
  ]);
});

test.after(async () => {
  await Promise.all(Object.values(plugins).map((p) => p.close()));
  for (const s of servers) s.closeAllConnections?.(), s.close();
  servers = [];
  const pad = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  const num = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-').padStart(7);
  const lines = [
    `adversarial catalogue: ${figures.length} attacks; event-loop bound ${LOOP_BOUND_MS} ms`,
    `  ${pad('language', 11)}${pad('attack', 52)}${pad('expected', 18)}${pad('got', 18)}${'ms'.padStart(7)}${'loop'.padStart(7)}${'timer'.padStart(7)}${'next'.padStart(7)}`,
    ...figures.map((f) => `  ${pad(f.language, 11)}${pad(f.attack, 52)}${pad(f.expected, 18)}${pad(f.got, 18)}${num(f.ms)}${num(f.loopMaxMs)}${num(f.timerLateMs)}${num(f.nextCallMs)}`),
    `  longest event-loop block: ${Math.max(...figures.map((f) => f.loopMaxMs)).toFixed(0)} ms`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
});

test.run();
