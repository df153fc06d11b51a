/**
 * The per-call caps (host/src/call-limits.ts, enforced by CallHost and, before anything crosses
 * its channel, by the plugin worker) against a real hostile plugin: test/fixtures/sandbox-caps
 * (TypeScript on QuickJS) floods the log, the store, its errors, its action name and an HTTP
 * response body. Each test asserts what the host kept, and then that the same plugin still serves
 * a good call. The same source built without network runs in-process too: the caps are the
 * host's (CallHost), whatever the runner.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CALL_LIMITS } from '../host/src/call-limits.js';
import { loadPlugin, type LogRecord, type Plugin } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { built, CACHE_DIR, expectError, recordingSink, ROOT, tempDir } from './helpers.js';

const FIXTURE = 'test/fixtures/sandbox-caps';
const MB = 1024 * 1024;

let plugin: Plugin;
/** The same plugin under a 2 s timeout. */
let fast: Plugin;
/** The same plugin with the host's overrides of the caps. */
let tight: Plugin;
/** The same source built without network (so without WASI), run in-process. */
let inProcess: Plugin;
let server: Server;
let base: string;

async function stillServes(p: Plugin, tag: string): Promise<void> {
  assert.equal(await p.exec('echo', { after: tag }), { after: tag });
}

const entries = (store: Map<string, unknown>): Record<string, unknown> => Object.fromEntries(store.entries());

/** Serves `/stream/<mb>` (chunked, no length), `/length/<mb>` (content-length announced), `/ok/<kb>`. */
function startServer(): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'z');
  server = createServer((req, res) => {
    const [, kind, amount] = /^\/(\w+)\/(\d+)$/.exec(req.url ?? '') ?? [];
    const bytes = kind === 'ok' ? Number(amount) * 1024 : Number(amount) * MB;
    if (kind === 'length') res.setHeader('content-length', String(bytes));
    res.setHeader('content-type', 'application/octet-stream');
    let sent = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    res.on('error', () => (closed = true));
    // Written with backpressure, one reused chunk: the server itself holds almost nothing.
    const pump = (): void => {
      while (!closed && sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

/** The fixture without its network permission: no WASI imports, so it may run in-process. */
async function buildWithoutNetwork(): Promise<string> {
  const dir = join(tempDir('pocket-wit-caps-nonet-'), 'sandbox-caps');
  cpSync(join(ROOT, FIXTURE), dir, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
  const manifest = join(dir, 'manifest.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^\s*network:.*\n/m, ''));
  return (await buildPlugin(dir, { out: join(dir, 'dist', 'sandbox-caps.wasm') })).out;
}

test.before(async () => {
  const [file, nonet] = await Promise.all([built(FIXTURE), buildWithoutNetwork(), startServer()]);
  plugin = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1 });
  fast = await loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, permissions: { timeout: 2000 } });
  tight = await loadPlugin(file, {
    cacheDir: CACHE_DIR,
    pool: 1,
    limits: { maxStoreBytesPerRun: MB, maxLogRecords: 10, maxLogBytes: 4096, maxActionChars: 8, maxHttpBodyBytes: 64 * 1024, maxErrorMessageBytes: 200 },
  });
  inProcess = await loadPlugin(nonet!, { cacheDir: CACHE_DIR, isolation: 'in-process' });
});

test.after(async () => {
  await Promise.all([plugin?.close(), fast?.close(), tight?.close(), inProcess?.close()]);
  server?.close();
});

test('the caps have their documented defaults, and the host overrides them per plugin', () => {
  assert.equal(plugin.permissions?.limits, {
    maxActionChars: 256,
    maxErrorMessageBytes: 8192,
    maxErrorDetailsBytes: 65536,
    maxLogRecords: 1000,
    maxLogBytes: MB,
    maxStoreBytesPerCall: 8 * MB,
    maxStoreBytesPerRun: 64 * MB,
    maxHttpBodyBytes: 16 * MB,
  });
  assert.equal(plugin.permissions?.limits, { ...DEFAULT_CALL_LIMITS });
  assert.is(tight.permissions?.limits.maxLogRecords, 10);
  assert.is(tight.permissions?.limits.maxStoreBytesPerCall, 8 * MB, 'what the host does not override keeps its default');
});

test('a bad override fails the load with invalid-input', async () => {
  const file = await built(FIXTURE);
  await expectError(loadPlugin(file, { cacheDir: CACHE_DIR, pool: 1, limits: { maxLogRecords: -1 } }), 'invalid-input', /limits\.maxLogRecords must be a whole number of 0 or more/);
});

// ---- logs ---------------------------------------------------------------------------------------

function checkFlood(records: LogRecord[], lines: number, took: number, max = DEFAULT_CALL_LIMITS.maxLogRecords): void {
  assert.is(records.length, max + 1, `${records.length} records`);
  assert.equal(
    records.slice(0, max).map((r) => r.message),
    Array.from({ length: max }, (_, i) => `line ${i}`),
    'what is delivered is the beginning of what was logged',
  );
  const warning = records[max]!;
  assert.is(warning.level, 'warn');
  assert.is(warning.plugin, 'sandbox-caps');
  assert.is(warning.node, 'log-flood');
  assert.match(warning.message, new RegExp(`^${lines - max} log record\\(s\\) dropped: a plugin call may log at most ${max} records and 1 MB`));
  assert.equal(warning.fields, { dropped: lines - max, maxLogRecords: max, maxLogBytes: MB });
  assert.ok(took < 45_000, `the flood took ${Math.round(took)} ms`);
}

test('log flood (200,000 records): the call succeeds, the sink gets 1,000 records and one warning, quickly', async () => {
  const sink = recordingSink();
  const t = performance.now();
  assert.equal(await plugin.exec('log-flood', { lines: 200_000 }, { log: sink.sink }), { logged: 200_000 });
  const took = performance.now() - t;
  console.log(`    log flood, worker: 200,000 records in ${Math.round(took)} ms`);
  checkFlood(sink.records, 200_000, took);
  await stillServes(plugin, 'log flood');
});

test('log flood in bytes: records past 1 MB are dropped, with one warning', async () => {
  const sink = recordingSink();
  // 40 records of ~100 KB: ten fit in 1 MB.
  await plugin.exec('log-flood', { lines: 40, pad: 100 * 1024 }, { log: sink.sink });
  const delivered = sink.records.filter((r) => r.level === 'info');
  assert.is(delivered.length, 10);
  assert.is(sink.records.length, 11);
  assert.match(sink.records[10]!.message, /^30 log record\(s\) dropped/);
  await stillServes(plugin, 'log bytes');
});

test('log caps overridden by the host: 10 records', async () => {
  const sink = recordingSink();
  await tight.exec('log-flood', { lines: 50 }, { log: sink.sink });
  assert.is(sink.records.length, 11);
  assert.equal(sink.records[10]!.fields, { dropped: 40, maxLogRecords: 10, maxLogBytes: 4096 });
  await stillServes(tight, 'tight logs');
});

// ---- the store ----------------------------------------------------------------------------------

test('100 MB written to the store in one call: size-limit, the store unchanged', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  const t = performance.now();
  const err = await expectError(plugin.prep('store-flood', { mb: 100 }, { store }), 'size-limit', /^sandbox-caps\/store-flood \(prep\) wrote more than 8 MB to the shared store in one call .*none of its writes were applied$/);
  console.log(`    store flood, worker: refused in ${Math.round(performance.now() - t)} ms`);
  assert.equal(err.context, { plugin: 'sandbox-caps', node: 'store-flood', phase: 'prep' });
  assert.equal(entries(store), { keep: 1 });
  await stillServes(plugin, 'store flood');
});

test('writes, then a timeout: the store unchanged', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  await expectError(fast.prep('write-then-spin', {}, { store }), 'timeout');
  assert.equal(entries(store), { keep: 1 });
  await stillServes(fast, 'timeout');
});

test('writes, then a cancellation: the store unchanged', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 200);
  await expectError(plugin.prep('write-then-spin', {}, { store, signal: abort.signal }), 'plugin-error', /cancelled by the host/);
  assert.equal(entries(store), { keep: 1 });
  await stillServes(plugin, 'cancel');
});

test('writes, then a thrown error: the store unchanged, the error as thrown', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  await expectError(plugin.prep('write-then-throw', {}, { store }), 'not-found', /^failed after writing the store$/);
  assert.equal(entries(store), { keep: 1 });
  await stillServes(plugin, 'throw');
});

test('writes within the caps are applied at the end of the phase; the call reads its own writes', async () => {
  const store = new Map<string, unknown>([['b', 'old'], ['keep', 1]]);
  const r = await plugin.runNode('store-ok', { input: { tag: 't1' }, store });
  assert.is(r.next, 'stored');
  assert.equal(r.output, { a: { tag: 't1' }, b: null, deleted: true, deletedAgain: false });
  assert.equal(entries(store), { keep: 1, a: { tag: 't1' }, 'post:t1': 't1' });
});

test('the per-run cap: one store across several calls (1 MB overridden); a fresh store starts again', async () => {
  const store = new Map<string, unknown>();
  await tight.post('store-kb', { key: 'k1', kb: 400 }, null, null, { store });
  await tight.post('store-kb', { key: 'k2', kb: 400 }, null, null, { store });
  await expectError(tight.post('store-kb', { key: 'k3', kb: 400 }, null, null, { store }), 'size-limit', /would take the shared store to 1\.2 MB written by plugins, more than the limit of 1 MB per run/);
  assert.equal([...store.keys()], ['k1', 'k2']);
  // Overwriting a key replaces what it held: still within the cap.
  await tight.post('store-kb', { key: 'k1', kb: 500 }, null, null, { store });
  assert.is((store.get('k1') as string).length, 500 * 1024);
  await tight.post('store-kb', { key: 'k3', kb: 400 }, null, null, { store: new Map() });
  await stillServes(tight, 'per run');
});

// ---- errors and action names --------------------------------------------------------------------

/** The message is `max` E's then `… (N more bytes)` (compared without printing megabytes). */
function assertCut(message: string, max: number, total: number): void {
  const suffix = `… (${total - max} more bytes)`;
  assert.ok(message.endsWith(suffix), `ends with ${JSON.stringify(message.slice(-40))}, not ${JSON.stringify(suffix)}`);
  assert.is(message.length, max + suffix.length, `${message.length} characters`);
  assert.ok(/^E+$/.test(message.slice(0, max)), 'the head is the message');
}

test('a 10 MB error message: cut to 8 KB with "… (N more bytes)", the code kept', async () => {
  const err = await expectError(plugin.exec('big-error', { mb: 10 }), 'not-found');
  const max = DEFAULT_CALL_LIMITS.maxErrorMessageBytes;
  assertCut(err.message, max, 10 * MB);
  assert.equal(err.context, { plugin: 'sandbox-caps', node: 'big-error', phase: 'exec' });
  await stillServes(plugin, 'big error');
});

test('10 MB of error details: replaced by a note, code and message kept', async () => {
  const err = await expectError(plugin.exec('big-details', { mb: 10 }), 'invalid-input', /^bad details$/);
  const details = err.details as { omitted: string; bytes: number; limit: number };
  assert.match(details.omitted, /^the error's details \(10 MB as JSON\) were dropped: more than the limit of 64 KB$/);
  assert.ok(details.bytes > 10 * MB);
  assert.is(details.limit, 64 * 1024);
  await stillServes(plugin, 'big details');
});

test('a 1 MB action name: size-limit, and none of post\'s writes applied', async () => {
  const store = new Map<string, unknown>([['keep', 1]]);
  await expectError(
    plugin.post('big-action', { chars: MB }, null, null, { store }),
    'size-limit',
    /^sandbox-caps\/big-action \(post\) returned an action name of 1048576 characters, more than the limit of 256;/,
  );
  assert.equal(entries(store), { keep: 1 });
  assert.equal(await plugin.post('big-action', { chars: 256 }, null, null, { store }), { output: 'routed', next: 'a'.repeat(256) });
  assert.equal(entries(store), { keep: 1, action: 256 });
  await expectError(tight.post('big-action', { chars: 9 }, null, null), 'size-limit', /more than the limit of 8;/);
  await stillServes(plugin, 'big action');
});

test('the host overrides the error message cap', async () => {
  const err = await expectError(tight.exec('big-error', { mb: 1 }), 'not-found');
  assertCut(err.message, 200, MB);
});

// ---- HTTP response bodies ----------------------------------------------------------------------

/** Run `fn` while sampling the RSS every 5 ms; the peak above the start, in bytes. */
async function rssPeak<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  global.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peak: peak - start };
  } finally {
    clearInterval(timer);
  }
}

test('a 100 MB HTTP body, streamed: the plugin gets HTTP-response-body-size, the host never holds it', async () => {
  const t = performance.now();
  const { value, peak } = await rssPeak(() => plugin.exec('fetch', { url: `${base}/stream/100` }));
  const took = performance.now() - t;
  console.log(`    100 MB chunked body: refused in ${Math.round(took)} ms, host RSS peak +${(peak / MB).toFixed(1)} MB`);
  assert.equal(value, {
    error: `ctx.fetch("${base}/stream/100"): HTTP-response-body-size`,
    code: 'plugin-error',
    wasi: 'HTTP-response-body-size',
  });
  assert.ok(peak < 50 * MB, `the host's RSS grew by ${(peak / MB).toFixed(1)} MB`);
  await stillServes(plugin, 'big body');
});

test('a body announced as 100 MB is refused before it is read', async () => {
  const t = performance.now();
  const { value, peak } = await rssPeak(() => plugin.exec('fetch', { url: `${base}/length/100` }));
  console.log(`    100 MB announced body: refused in ${Math.round(performance.now() - t)} ms, host RSS peak +${(peak / MB).toFixed(1)} MB`);
  assert.equal((value as { wasi: string }).wasi, 'HTTP-response-body-size');
  assert.ok(peak < 50 * MB, `the host's RSS grew by ${(peak / MB).toFixed(1)} MB`);
  await stillServes(plugin, 'announced body');
});

test('bodies within the cap arrive whole; the host overrides the cap (64 KB)', async () => {
  assert.equal(await plugin.exec('fetch', { url: `${base}/stream/1` }), { status: 200, bytes: MB });
  assert.equal(await tight.exec('fetch', { url: `${base}/ok/64` }), { status: 200, bytes: 64 * 1024 });
  assert.is(((await tight.exec('fetch', { url: `${base}/ok/65` })) as { wasi: string }).wasi, 'HTTP-response-body-size');
  await stillServes(tight, 'tight body');
});

// ---- the same caps in-process: they are CallHost's ---------------------------------------------

test('in-process: log flood, store flood, error and action caps are the same', async () => {
  const sink = recordingSink();
  const t = performance.now();
  await inProcess.exec('log-flood', { lines: 20_000 }, { log: sink.sink });
  const took = performance.now() - t;
  console.log(`    log flood, in-process: 20,000 records in ${Math.round(took)} ms`);
  checkFlood(sink.records, 20_000, took);

  const store = new Map<string, unknown>([['keep', 1]]);
  await expectError(inProcess.prep('store-flood', { mb: 100 }, { store }), 'size-limit', /wrote more than 8 MB to the shared store in one call/);
  await expectError(inProcess.prep('write-then-throw', {}, { store }), 'not-found');
  assert.equal(entries(store), { keep: 1 });

  const err = await expectError(inProcess.exec('big-error', { mb: 10 }), 'not-found');
  assertCut(err.message, DEFAULT_CALL_LIMITS.maxErrorMessageBytes, 10 * MB);
  const details = (await expectError(inProcess.exec('big-details', { mb: 10 }), 'invalid-input')).details as { omitted: string };
  assert.match(details.omitted, /were dropped/);
  await expectError(inProcess.post('big-action', { chars: MB }, null, null), 'size-limit', /action name of 1048576 characters/);

  const ok = new Map<string, unknown>();
  assert.is((await inProcess.runNode('store-ok', { input: { tag: 'ip' }, store: ok })).next, 'stored');
  assert.equal(entries(ok), { a: { tag: 'ip' }, 'post:ip': 'ip' });
  await stillServes(inProcess, 'in-process');
});

test.run();
