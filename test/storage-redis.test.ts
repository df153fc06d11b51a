/**
 * Plugin storage on Redis (host/src/storage/redis.ts), against a real redis-server:
 * - the same random sequence of operations on SQLite and on Redis gives the same results, value
 *   for value (quota refusals, non-counters, wrapping counters, pages of keys, usage, clears);
 * - increments from several processes are exact, and concurrent writers never overshoot a quota;
 * - end to end: a queue batch of 30 items through the visit-counter's `count` node on two
 *   `pocket-wit worker` processes leaves the counter at exactly 30 in the queue's Redis.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisBackend } from '../host/src/storage/redis.js';
import { SqliteBackend } from '../host/src/storage/sqlite.js';
import { U64_MAX, type KvBackend } from '../host/src/storage/backend.js';
import { CACHE_DIR, CLI, ROOT, runCli, tempDir } from './helpers.js';
import { startRedis, type RedisServer } from './redis.js';

const work = tempDir('pocket-wit-kv-redis-');
let redis: RedisServer | undefined;
const running: ChildProcess[] = [];
process.on('exit', () => running.forEach((c) => c.kill('SIGKILL')));

/** The test's redis-server, started by the first test that needs it (errors in hooks are hidden by uvu). */
async function server(): Promise<RedisServer> {
  redis ??= await startRedis();
  return redis;
}

test.after(async () => {
  for (const c of running) c.kill('SIGKILL');
  await redis?.kill();
});

/** A small seeded PRNG (mulberry32): the same sequence every run, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A result made comparable: bytes as hex, bigints as text. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return `u64:${v}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('the same random operations give the same results on SQLite and on Redis', async () => {
  const r = await server();
  const sqlite = new SqliteBackend(join(work, 'diff.sqlite'));
  const kv = new RedisBackend({ url: r.url }, { prefix: 'diff' });
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const rand = rng(23);
  // Names with the characters the key layout escapes; keys in several scripts (byte order differs from UTF-16 order for 😀 vs ｚ).
  const namespaces = ['visit-counter', 'a:b', 'x@y%z'];
  const buckets = ['counters', 'seen', 'c:d'];
  const keys = ['', 'a', 'B', 'calls', 'é', 'ｚ', '😀', '日本', 'a:b', 'k'.repeat(40)];
  const values = [
    '', '0', '5', '41', ' 7\n', '\u00a0 12\u3000', '\ufeff3', '\u20009\u200a', '18446744073709551615', '18446744073709551616', '9999999999', '00000000000000000001',
    '-1', '1.5', '12a', 'abc', '\u00859', 'x'.repeat(90),
  ].map((s) => Buffer.from(s));
  values.push(Buffer.from([0, 255, 1, 0x80]), Buffer.from([0xc2]), Buffer.from('\xa05', 'latin1'));
  const deltas = [0n, 1n, 1n, 7n, 9_999_999_999n, 10_000_000_000n, U64_MAX, U64_MAX - 1n, -1n, 1n << 63n];
  const quotas = [60, 200, 400, 1_000_000, Infinity];
  let steps = 0;
  let refused = 0;
  let notCounter = 0;
  const ops = async (b: KvBackend, op: string, a: { ns: string; bucket: string; key: string; value: Buffer; delta: bigint; quota: number; cursor: number; limit: number }): Promise<unknown> => {
    switch (op) {
      case 'set': return b.set(a.ns, a.bucket, a.key, a.value, a.quota);
      case 'get': return b.get(a.ns, a.bucket, a.key);
      case 'delete': return b.delete(a.ns, a.bucket, a.key);
      case 'exists': return b.exists(a.ns, a.bucket, a.key);
      case 'increment': return b.increment(a.ns, a.bucket, a.key, a.delta, a.quota);
      case 'list': return b.listKeys(a.ns, a.bucket, a.cursor, a.limit);
      case 'usage': return b.usage(a.ns);
      case 'usage-all': return b.usage();
      case 'clear-key': return b.clear(a.ns, a.bucket, a.key);
      case 'clear-bucket': return b.clear(a.ns, a.bucket);
      case 'clear-ns': return b.clear(a.ns);
    }
    throw new Error(op);
  };
  const weighted = ['set', 'set', 'set', 'set', 'get', 'get', 'delete', 'exists', 'increment', 'increment', 'increment', 'increment', 'list', 'list', 'usage', 'usage-all', 'clear-key'];
  try {
    for (let i = 0; i < 3000; i++) {
      const op = i % 400 === 399 ? pick(['clear-bucket', 'clear-ns']) : pick(weighted);
      const a = { ns: pick(namespaces), bucket: pick(buckets), key: pick(keys), value: pick(values), delta: pick(deltas), quota: pick(quotas), cursor: pick([0, 0, 1, 2, 3, 5, 9, 20]), limit: pick([1, 2, 3, 4, 1000]) };
      const want = plain(await ops(sqlite, op, a));
      const got = plain(await ops(kv, op, a));
      assert.equal(got, want, `step ${i}: ${op} ${JSON.stringify({ ...a, value: a.value.toString('hex'), delta: String(a.delta) })}`);
      steps++;
      if (want && typeof want === 'object' && 'over' in want) refused++;
      if (want && typeof want === 'object' && 'notCounter' in want) notCounter++;
    }
    // Every namespace, bucket and key in the end.
    assert.equal(plain(await kv.usage()), plain(await sqlite.usage()));
    for (const ns of namespaces) {
      for (const bucket of buckets) {
        const page = await sqlite.listKeys(ns, bucket, 0, 1000);
        assert.equal(plain(await kv.listKeys(ns, bucket, 0, 1000)), plain(page));
        for (const key of page.keys) assert.equal(plain(await kv.get(ns, bucket, key)), plain(await sqlite.get(ns, bucket, key)));
      }
    }
    // The sequence did reach the cases that matter.
    assert.ok(refused > 50, `quota refusals: ${refused}`);
    assert.ok(notCounter > 50, `increments of non-counters: ${notCounter}`);
    // Clearing everything leaves no key behind on Redis.
    for (const ns of namespaces) assert.is(await kv.clear(ns), await sqlite.clear(ns));
    const client = new Redis(r.port, '127.0.0.1');
    assert.equal(await client.keys('diff:*'), []);
    client.disconnect();
  } finally {
    console.log(`  differential: ${steps} operations, ${refused} refused by the quota, ${notCounter} increments of non-counters`);
    await kv.close();
    await sqlite.close();
  }
});

/** A node process that runs `body` with `kv`, a RedisBackend on `url` (the compiled module under dist/). */
function child(url: string, body: string): Promise<string> {
  const module = pathToFileURL(join(ROOT, 'dist', 'host', 'src', 'storage', 'redis.js')).href;
  const code = `import { RedisBackend } from ${JSON.stringify(module)};\nconst kv = new RedisBackend({ url: ${JSON.stringify(url)} }, { prefix: 'conc' });\n${body}\nawait kv.close();\n`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(c);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}:\n${out}`))));
  });
}

test('increments from 4 processes, 250 each in parallel, are exact; each value is returned once', async () => {
  const r = await server();
  const outs = await Promise.all(
    Array.from({ length: 4 }, () => child(r.url, `const got = await Promise.all(Array.from({ length: 250 }, () => kv.increment('p', 'counters', 'hits', 1n, 1e6)));\nconsole.log(got.join(' '));`)),
  );
  const seen = outs.flatMap((o) => o.trim().split(' ').map(Number)).sort((a, b) => a - b);
  assert.equal(seen, Array.from({ length: 1000 }, (_, i) => i + 1), 'the increments returned 1..1000, each once');
  const kv = new RedisBackend({ url: r.url }, { prefix: 'conc' });
  assert.is(Buffer.from((await kv.get('p', 'counters', 'hits'))!).toString(), '1000');
  await kv.close();
});

test('concurrent writers from 4 processes never overshoot the quota; usage matches what is stored', async () => {
  const r = await server();
  // Each pair is 50 bytes (a 4-byte key, a 46-byte value); the quota holds exactly 20 of them.
  const body = `const tries = Array.from({ length: 50 }, (_, i) => kv.set('q', 'data', 'k' + String(i).padStart(2, '0') + ID, Buffer.alloc(46, 120), 1000));
console.log(String((await Promise.all(tries)).filter((x) => x === undefined).length));`;
  const outs = await Promise.all(['a', 'b', 'c', 'd'].map((id) => child(r.url, `const ID = ${JSON.stringify(id)};\n${body}`)));
  const accepted = outs.reduce((n, o) => n + Number(o.trim()), 0);
  assert.is(accepted, 20, `exactly 20 of the 200 writes fit in the quota (the processes said: ${JSON.stringify(outs)})`);
  const kv = new RedisBackend({ url: r.url }, { prefix: 'conc' });
  const [usage] = await kv.usage('q');
  assert.equal(usage!.buckets, [{ bucket: 'data', keys: 20, bytes: 1000 }]);
  const page = await kv.listKeys('q', 'data', 0, 1000);
  let stored = 0;
  for (const key of page.keys) stored += Buffer.byteLength(key) + (await kv.get('q', 'data', key))!.length;
  assert.is(stored, 1000, 'the usage counter is what the keys and values add up to');
  // A write that shrinks is allowed at the quota; one that grows is refused.
  assert.is(await kv.set('q', 'data', page.keys[0]!, Buffer.alloc(1), 1000), undefined);
  assert.equal(await kv.set('q', 'data', 'new-key', Buffer.alloc(50), 1000), { over: { usedBytes: 955, wouldBe: 1012 } });
  await kv.close();
});

test('end to end: a queue batch of 30 items through visit-counter `count` on 2 workers leaves the counter at exactly 30 in Redis', async () => {
  const r = await server();
  const plugins = tempDir('pocket-wit-kv-plugins-');
  const built = await runCli(['build', join(ROOT, 'examples/storage/visit-counter'), '-o', join(plugins, 'visit-counter.wasm')]);
  assert.is(built.code, 0, built.stderr);
  const wf = join(work, 'count.yaml');
  writeFileSync(wf, 'name: count-visits\nstart: count\nnodes:\n  - name: count\n    type: count\n    config: { counter: visits }\n');
  const input = join(work, 'items.jsonl');
  writeFileSync(input, Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
  const env = (home: string): NodeJS.ProcessEnv => ({ ...process.env, POCKET_WIT_CACHE: CACHE_DIR, CI: '1', POCKET_HOME: home, POCKET_PLUGIN_PATH: '' });
  const homes = [tempDir('pocket-wit-kv-w1-'), tempDir('pocket-wit-kv-w2-')];
  const workers = homes.map((home) => {
    const c = spawn(process.execPath, [CLI, 'worker', '--queue', r.url, '--queue-name', 'kv', '--concurrency', '2', '--stall-timeout', '5s'], { cwd: ROOT, env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(c);
    const w = { c, out: '' };
    c.stdout.on('data', (d: Buffer) => (w.out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (w.out += d.toString()));
    return w;
  });
  for (const w of workers) {
    for (let i = 0; i < 300 && !w.out.includes('worker: taking items') && w.c.exitCode === null; i++) await sleep(50);
    assert.ok(w.out.includes('worker: taking items'), `a worker did not start:\n${w.out}`);
  }
  const producerHome = tempDir('pocket-wit-kv-producer-');
  const out = join(work, 'count.jsonl');
  const p = await runCli(['flow', wf, '--plugins', plugins, '--batch', input, '--out', out, '--queue', r.url, '--queue-name', 'kv'], { env: { POCKET_HOME: producerHome, POCKET_PLUGIN_PATH: '' } });
  assert.is(p.code, 0, `${p.stdout}\n${p.stderr}`);
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; output: { counter: string; count: number } });
  assert.is(records.length, 30);
  assert.ok(records.every((x) => x.ok && x.output.counter === 'visits'), 'every item counted');
  // Each item got its own value: 30 atomic increments, none lost, none doubled.
  assert.equal(records.map((x) => x.output.count).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
  const kv = new RedisBackend({ url: r.url });
  assert.is(Buffer.from((await kv.get('visit-counter', 'counters', 'visits'))!).toString(), '30');
  const [usage] = await kv.usage('visit-counter');
  assert.equal(usage!.buckets, [{ bucket: 'counters', keys: 1, bytes: 'visits'.length + 2 }]);
  await kv.close();
  for (const w of workers) {
    w.c.kill('SIGTERM');
    for (let i = 0; i < 200 && w.c.exitCode === null; i++) await sleep(50);
    assert.is(w.c.exitCode, 0, `a worker stopped with SIGTERM exits 0:\n${w.out}`);
  }
  const ran = workers.reduce((n, w) => n + Number(/worker: stopped: (\d+) items run/.exec(w.out)?.[1]), 0);
  assert.is(ran, 30, `the workers ran 30 items:\n${workers.map((w) => w.out).join('\n')}`);
  // Nothing went to a local SQLite file: neither on the workers' machines nor on the producer's.
  for (const home of [...homes, producerHome]) assert.not.ok(existsSync(join(home, 'storage', 'kv.sqlite')), `no local storage under ${home}`);
});

test.run();
