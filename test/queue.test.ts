/**
 * Batches over a queue (BullMQ on a real redis-server): the demo workflow and its four plugins
 * (TypeScript, Rust, Go, C) run through `pocket-wit worker` processes and `flow --queue`, and every
 * `--out` is compared byte for byte with a local batch of the same input: a worker SIGKILLed
 * mid-run, a producer SIGKILLed and resumed, Redis restarted with and without its data. Plus:
 * bytes on the queue that do not match the named sha256 are refused, a job of no published batch
 * is dropped unrun, SIGTERM finishes cleanly, and connection errors are one clear line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CACHE_DIR, CLI, ROOT, runCli, tempDir } from './helpers.js';
import { haveRedis, startRedis, type RedisServer } from './redis.js';

const work = tempDir('pocket-wit-queue-');
const WORKFLOW = join(ROOT, 'examples/workflows/review-report.yaml');
const PLUGINS = join(ROOT, 'examples');
/** Producer and workers each get their own home: a worker's queue cache starts empty. */
const producerEnv = { POCKET_HOME: tempDir('pocket-wit-queue-producer-'), POCKET_PLUGIN_PATH: '' };

/** 240 demo reviews, with a line that is not JSON and a review without text (it fails validation). */
const input = join(work, 'reviews.jsonl');
const ITEMS = 240;
{
  const reviews = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as { product: string; text: string }[];
  const lines: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    const r = reviews[i % reviews.length]!;
    lines.push(JSON.stringify({ id: `r${i}`, product: r.product, text: r.text }));
    if (i === 50) lines.push('{"id": oops');
    if (i === 120) lines.push('{"id":"no-text","product":"Mug"}');
  }
  writeFileSync(input, `${lines.join('\n')}\n`);
}
const RESULTS = ITEMS + 2;
let reference = '';
let redis: RedisServer;

interface Proc {
  child: ChildProcess;
  /** A worker's POCKET_HOME (its queue cache is under it). */
  home?: string;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, POCKET_WIT_CACHE: CACHE_DIR, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const running: Proc[] = [];
/** BullMQ clients the tests open: closed at the end even after a failure (they would reconnect forever). */
const opened: Queue[] = [];
process.on('exit', () => running.forEach((p) => p.child.kill('SIGKILL')));

/** A `pocket-wit worker` with a fresh home (empty queue cache). */
async function worker(url: string, extra: string[] = []): Promise<Proc> {
  const home = tempDir('pocket-wit-queue-worker-');
  const p = { ...start(['worker', '--queue', url, ...(extra.includes('--stall-timeout') ? [] : ['--stall-timeout', '2s']), ...extra], { POCKET_HOME: home, POCKET_PLUGIN_PATH: '' }), home };
  running.push(p);
  for (let i = 0; i < 300 && !p.output().includes('worker: taking items'); i++) {
    if (p.child.exitCode !== null) break;
    await sleep(50);
  }
  assert.ok(p.output().includes('worker: taking items'), `the worker did not start:\n${p.output()}`);
  return p;
}

async function stopWorker(p: Proc): Promise<string> {
  p.child.kill('SIGTERM');
  const code = await p.exited;
  assert.is(code, 0, `a worker stopped with SIGTERM exits 0:\n${p.output()}`);
  return p.output();
}

function producer(out: string, url: string, extra: string[] = []): Proc {
  const p = start(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', input, '--out', out, '--queue', url, ...extra], producerEnv);
  running.push(p);
  return p;
}

const lines = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

async function whenLines(file: string, n: number, p: Proc): Promise<void> {
  for (let i = 0; i < 1200 && lines(file) < n; i++) {
    if (p.child.exitCode !== null) assert.unreachable(`the producer ended before ${file} had ${n} lines:\n${p.output()}`);
    await sleep(50);
  }
  assert.ok(lines(file) >= n, `${file} reached ${n} lines`);
}

/** `out` holds exactly the local batch's results: each input once, in order, byte for byte. */
function sameAsLocal(out: string, what: string): void {
  const text = readFileSync(out, 'utf8');
  const seen = text.trim().split('\n').map((l) => (JSON.parse(l) as { line: number }).line);
  assert.is(new Set(seen).size, seen.length, `${what}: no input twice`);
  assert.is(seen.length, RESULTS, `${what}: no input lost`);
  assert.ok(text === reference, `${what}: --out is byte-identical to the local batch's`);
}

test.before(async () => {
  // uvu does not print a failing before hook: say it here.
  try {
    assert.ok(haveRedis(), 'redis-server is not installed: run scripts/install-toolchains.sh (Debian package redis-server)');
    redis = await startRedis({ persist: true });
    const local = join(work, 'local.jsonl');
    const r = await runCli(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', input, '--out', local, '--concurrency', '2'], { env: producerEnv });
    assert.is(r.code, 1, `the local batch has one invalid line and one failing review:\n${r.stderr}`);
    assert.match(r.stdout, `batch: ${RESULTS - 2} ok, 2 failed of ${RESULTS} inputs`);
    reference = readFileSync(local, 'utf8');
    assert.match(reference, /"code":"invalid-input","message":"line 52 is not valid JSON/);
  } catch (err) {
    console.error('queue.test.ts: setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  // A failed test leaves its workers: they would keep this process alive.
  for (const p of running) p.child.kill('SIGKILL');
  await Promise.all(opened.map((q) => q.close().catch(() => {})));
  await redis?.kill();
});

test('two workers, one SIGKILLed mid-run: --out is identical to a local batch; the report names the queue', async () => {
  const out = join(work, 'two-workers.jsonl');
  const report = join(work, 'two-workers.html');
  const a = await worker(redis.url);
  // b has the same plugin files at hand (--plugins): it runs them from there, fetching nothing.
  const b = await worker(redis.url, ['--plugins', PLUGINS]);
  const p = producer(out, redis.url, ['--json', '--report', report]);
  await whenLines(out, 60, p);
  assert.match(a.output(), /batch [0-9a-f]{20} \(from .*two-workers\.jsonl\): 4 plugins, workflow review-report\.yaml/);
  a.child.kill('SIGKILL'); // mid-item: its item is handed to b after --stall-timeout
  assert.is(await p.exited, 1, p.output()); // 2 inputs fail, as locally
  const summary = JSON.parse(p.output().split('\n').find((l) => l.startsWith('{"inputs"'))!) as Record<string, unknown>;
  assert.equal([summary.inputs, summary.ok, summary.failed, summary.queue], [RESULTS, RESULTS - 2, 2, redis.url]);
  sameAsLocal(out, 'worker killed');
  const page = readFileSync(report, 'utf8');
  assert.ok(page.includes(`<code>${out}</code>`) || page.includes(out), 'the report is of this batch');
  assert.ok(page.includes(redis.url), 'the report names the queue instead of a concurrency');
  const log = await stopWorker(b);
  assert.match(log, /worker: stopped: \d+ items run \(\d+ failed\) in 1 batch/);
  const fetched = (home: string): string[] => (existsSync(join(home, 'queue-cache')) ? readdirSync(join(home, 'queue-cache')).filter((f) => f.endsWith('.wasm')) : []);
  assert.is(fetched(a.home!).length, 4, 'a fetched the four plugins from the queue');
  assert.is(fetched(b.home!).length, 0, 'b fetched none: its own files have the named sha256');
});

test('a producer SIGKILLed and started again with --resume finishes the batch, running nothing the workers did meanwhile; a worker SIGTERMed mid-run exits 0', async () => {
  const out = join(work, 'resumed.jsonl');
  const w = await worker(redis.url, ['--concurrency', '2']);
  const first = producer(out, redis.url);
  await whenLines(out, 80, first);
  first.child.kill('SIGKILL');
  await first.exited;
  // The worker goes on without a producer: its results wait on the queue.
  const client = new Redis(redis.port, '127.0.0.1');
  const waiting = async (): Promise<number> => {
    const [key] = await client.keys('pocket-wit:pocket-wit:batch:*:results');
    return key ? client.hlen(key) : 0;
  };
  for (let i = 0; i < 200 && (await waiting()) < 20; i++) await sleep(50);
  const stored = await waiting();
  client.disconnect();
  assert.ok(stored >= 20, `results stored while no producer ran (${stored})`);
  // SIGTERM mid-run: no new items, the ones in flight finish and their results are stored.
  const log1 = await stopWorker(w);
  assert.match(log1, /worker: SIGTERM: taking no new items; finishing the ones in flight\nworker: stopped: \d+ items run/);
  const w2 = await worker(redis.url, ['--concurrency', '2']);
  const again = producer(out, redis.url, ['--resume']);
  assert.is(await again.exited, 1, again.output());
  assert.match(again.output(), /resume: \d+ of 242 inputs already recorded/);
  sameAsLocal(out, 'producer resumed');
  const log2 = await stopWorker(w2);
  // Each input ran once, but for a few that a loaded machine's late lock renewal handed to a
  // second worker (at-least-once); the results stored while no producer ran are not run again.
  const ran = [log1, log2].reduce((n, log) => n + Number(/worker: stopped: (\d+) items run/.exec(log)?.[1]), 0);
  assert.ok(ran >= RESULTS && ran < RESULTS + stored, `the workers ran ${ran} items for ${RESULTS} inputs, ${stored} of them stored while no producer ran`);
});

test('Redis restarted mid-run (with its data, then without): producer and workers reconnect and finish', async () => {
  const out = join(work, 'restart-persist.jsonl');
  const w = await worker(redis.url, ['--concurrency', '2']);
  const p = producer(out, redis.url);
  await whenLines(out, 60, p);
  await redis.restart(); // SIGTERM: appendonly keeps the queue
  assert.is(await p.exited, 1, p.output());
  sameAsLocal(out, 'redis restarted with its data');

  // A Redis without persistence loses the batch when it restarts: the producer publishes it again.
  const bare = await startRedis();
  const w2 = await worker(bare.url, ['--concurrency', '2']);
  const out2 = join(work, 'restart-lost.jsonl');
  const p2 = producer(out2, bare.url);
  await whenLines(out2, 60, p2);
  await bare.restart();
  assert.is(await p2.exited, 1, p2.output());
  assert.match(p2.output(), /no longer holds this batch .*publishing it again/);
  sameAsLocal(out2, 'redis restarted without its data');
  await stopWorker(w);
  await stopWorker(w2);
  await bare.kill();
});

test('bytes on the queue that do not hash to the named sha256 are refused: invalid-plugin, nothing run', async () => {
  const url = redis.url;
  const out = join(work, 'tampered.jsonl');
  const small = join(work, 'small.jsonl');
  writeFileSync(small, '{"id":"t1","product":"Boots","text":"Great boots!"}\n{"id":"t2","product":"Mug","text":"Awful mug."}\n');
  const p = start(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', small, '--out', out, '--queue', url, '--queue-name', 'tamper'], producerEnv);
  running.push(p);
  // No worker yet: the producer says so, and the batch's spec is on the queue.
  for (let i = 0; i < 200 && !p.output().includes('waiting: no worker'); i++) await sleep(50);
  assert.match(p.output(), /waiting: no worker is connected to the queue "tamper" on redis:\/\/127\.0\.0\.1:\d+; start one with: pocket-wit worker --queue redis:\/\/127\.0\.0\.1:\d+ --queue-name tamper/);
  const client = new Redis(redis.port, '127.0.0.1');
  const specKey = (await client.keys('pocket-wit:tamper:batch:*:spec'))[0]!;
  const spec = JSON.parse((await client.get(specKey))!) as { plugins: { name: string; sha256: string }[] };
  const victim = spec.plugins.find((x) => x.name === 'word-counter')!;
  await client.set(`pocket-wit:tamper:blob:${victim.sha256}`, Buffer.from('\0asm\x01\0\0\0 not the plugin'));
  client.disconnect();
  const w = await worker(url, ['--queue-name', 'tamper']);
  assert.is(await p.exited, 1, p.output());
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; error?: { code: string; message: string } });
  assert.is(records.length, 2);
  for (const r of records) {
    assert.is(r.ok, false);
    assert.is(r.error!.code, 'invalid-plugin');
    assert.match(r.error!.message, new RegExp(`the bytes on the queue have sha256 [0-9a-f]{64}, not the ${victim.sha256} the producer named; refused`));
  }
  await stopWorker(w);
});

test('a job of no published batch is dropped unrun; SIGTERM lets the item in flight finish', async () => {
  const queue = new Queue('pocket-wit-items.forged', { connection: { host: '127.0.0.1', port: redis.port } });
  opened.push(queue);
  await queue.add('item', { b: 'not-a-batch', g: 1, i: 0, input: { id: 'x', text: 'hi' } }, { jobId: 'not-a-batch.1.0' });
  const w = await worker(redis.url, ['--queue-name', 'forged']);
  const pending = async (): Promise<number> => {
    const counts = await queue.getJobCounts('wait', 'active');
    return (counts.wait ?? 0) + (counts.active ?? 0);
  };
  for (let i = 0; i < 100 && (await pending()) > 0; i++) await sleep(50);
  assert.is(await pending(), 0, 'the worker took the forged job');
  await queue.close();
  const log = await stopWorker(w);
  assert.match(log, /worker: SIGTERM: taking no new items; finishing the ones in flight/);
  assert.match(log, /worker: stopped: 0 items run \(0 failed\) in 0 batches, 1 dropped \(their batch had ended or started over\)/);
});

test('connection problems are one clear line: refused, wrong password, password from the environment, bad URL', async () => {
  const refused = await runCli(['worker', '--queue', 'redis://127.0.0.1:1']);
  assert.is(refused.code, 1);
  assert.is(refused.stderr.trim(), 'error[queue-unavailable]: cannot reach redis://127.0.0.1:1: connection refused (is redis-server running on that host and port?)');
  const flow = await runCli(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', input, '--out', join(work, 'never.jsonl'), '--queue', 'redis://127.0.0.1:1'], { env: producerEnv });
  assert.is(flow.code, 1);
  assert.match(flow.stderr, /error\[queue-unavailable\]: cannot reach redis:\/\/127\.0\.0\.1:1: connection refused/);
  assert.not.match(flow.stderr, /\n\s+at /, 'no stack trace');

  const locked = await startRedis({ password: 's3cret' });
  const bare = `redis://127.0.0.1:${locked.port}`;
  const none = await runCli(['worker', '--queue', bare]);
  assert.match(none.stderr, /error\[queue-unavailable\]: cannot reach redis:\/\/127\.0\.0\.1:\d+: Redis asks for a password and none was given/);
  const wrong = await runCli(['worker', '--queue', `redis://:nope@127.0.0.1:${locked.port}`]);
  assert.match(wrong.stderr, /error\[queue-unavailable\]: cannot reach redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: Redis refused the password/);
  assert.not.match(wrong.stderr, /nope/, 'the password is never printed');
  // The right password from the environment: a small batch runs through a worker.
  const small = join(work, 'small-auth.jsonl');
  writeFileSync(small, '{"id":"a1","product":"Boots","text":"Great boots, love them!"}\n');
  const env = { POCKET_WIT_REDIS_PASSWORD: 's3cret' };
  const w = start(['worker', '--queue', bare, '--stall-timeout', '2s'], { ...env, POCKET_HOME: tempDir('pocket-wit-queue-worker-') });
  running.push(w);
  const out = join(work, 'auth.jsonl');
  const r = await runCli(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', small, '--out', out, '--queue', bare], { env: { ...producerEnv, ...env } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /batch: 1 ok, 0 failed of 1 inputs in [\d.]+ s \(queue redis:\/\/127\.0\.0\.1:\d+\)/);
  assert.match(readFileSync(out, 'utf8'), /^\{"line":1,"ok":true,"output":\{"characters":23,.*"review\.sentiment":"positive"/);
  await stopWorker(w);
  await locked.kill();

  const badUrl = await runCli(['worker', '--queue', 'http://127.0.0.1:6379']);
  assert.is(badUrl.stderr.trim(), 'error[invalid-input]: --queue http://127.0.0.1:6379: only redis:// and rediss:// (TLS) URLs are supported');
});

/** A redis-server speaking TLS only, with a certificate signed by a CA of its own (openssl). */
async function startTlsRedis(): Promise<{ url: string; ca: string; stop: () => void }> {
  const dir = tempDir('pocket-wit-queue-tls-');
  const sh = (cmd: string): void => void execSync(cmd, { cwd: dir, stdio: 'ignore' });
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=pocket-wit-test-ca');
  sh('openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  sh('openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext');
  const probe = (await startRedis()) as RedisServer; // a free port: take it over
  const port = probe.port;
  await probe.kill();
  const child = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', 'srv.crt', '--tls-key-file', 'srv.key', '--tls-ca-cert-file', 'ca.crt', '--tls-auth-clients', 'no', '--save', '', '--dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 200 && !log.includes('Ready to accept connections'); i++) await sleep(50);
  assert.ok(log.includes('Ready to accept connections'), `the TLS redis did not start:\n${log}`);
  return { url: `rediss://localhost:${port}`, ca: join(dir, 'ca.crt'), stop: () => void child.kill('SIGKILL') };
}

test('an item whose workers die on it 3 times gets a trap record instead of hanging the batch', async () => {
  const wf = join(work, 'slow.yaml');
  writeFileSync(wf, 'name: slow\nstart: wait\nnodes:\n  - name: wait\n    type: delay\n    config: { duration: 20s }\n');
  const one = join(work, 'one.jsonl');
  writeFileSync(one, '{"n":1}\n');
  const out = join(work, 'poison.jsonl');
  const p = start(['flow', wf, '--batch', one, '--out', out, '--queue', redis.url, '--queue-name', 'poison'], producerEnv);
  running.push(p);
  const queue = new Queue('pocket-wit-items.poison', { connection: { host: '127.0.0.1', port: redis.port } });
  opened.push(queue);
  let batchEnded = false;
  void p.exited.then(() => (batchEnded = true));
  for (let death = 1; death <= 3 && !batchEnded; death++) {
    // The item is taken (after the stall check hands it back), then its worker dies.
    const w = await worker(redis.url, ['--queue-name', 'poison', '--stall-timeout', '1s']);
    // Running again: active, and handed back at least once per earlier death (the dead worker's
    // job stays in the active list until a stall check moves it, so "active" alone is not enough;
    // on a loaded machine a live worker can also miss its 1 s lock renewal, which counts as one more).
    const runningAgain = async (): Promise<boolean> => {
      const [job] = await queue.getJobs(['active']);
      return job !== undefined && job.stalledCounter >= death - 1;
    };
    // Up to 60 s: a new worker process and the stall check take seconds on a loaded 2-core machine.
    for (let i = 0; i < 1200 && !batchEnded && !(await runningAgain()); i++) await sleep(50);
    if (batchEnded) {
      await stopWorker(w); // the extra stalls used up the item's attempts before this death
      break;
    }
    assert.ok(await runningAgain(), `death ${death}: the item is running on the new worker`);
    await sleep(300); // it is in the worker's thread
    w.child.kill('SIGKILL');
    await w.exited;
  }
  const last = await worker(redis.url, ['--queue-name', 'poison', '--stall-timeout', '1s']);
  assert.is(await p.exited, 1, p.output());
  await queue.close();
  const record = JSON.parse(readFileSync(out, 'utf8')) as { line: number; ok: boolean; error: { code: string; message: string } };
  assert.equal([record.line, record.ok, record.error.code], [1, false, 'trap']);
  assert.match(record.error.message, /^workers died running this item \d+ times \(killed, crashed or lost\); it was not run to the end$/);
  await stopWorker(last);
});

test('rediss:// (TLS): refused without the CA, with one clear line; a batch runs with --queue-ca', async () => {
  const tls = await startTlsRedis();
  try {
    const noCa = await runCli(['worker', '--queue', tls.url]);
    assert.is(noCa.code, 1);
    assert.match(noCa.stderr, /^error\[queue-unavailable\]: cannot reach rediss:\/\/localhost:\d+: TLS failed: .*(self[- ]signed|certificate).* \(give the server's CA with --queue-ca FILE\)\n$/);
    const w = start(['worker', '--queue', tls.url, '--queue-ca', tls.ca, '--stall-timeout', '2s'], { POCKET_HOME: tempDir('pocket-wit-queue-worker-') });
    running.push(w);
    const small = join(work, 'small-tls.jsonl');
    writeFileSync(small, '{"id":"s1","product":"Boots","text":"Great boots, love them!"}\n');
    const out = join(work, 'tls.jsonl');
    const r = await runCli(['flow', WORKFLOW, '--plugins', PLUGINS, '--batch', small, '--out', out, '--queue', tls.url, '--queue-ca', tls.ca], { env: producerEnv });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /batch: 1 ok, 0 failed of 1 inputs in [\d.]+ s \(queue rediss:\/\/localhost:\d+\)/);
    await stopWorker(w);
    const plain = await runCli(['worker', '--queue', 'redis://127.0.0.1:6379', '--queue-ca', tls.ca]);
    assert.match(plain.stderr, /error\[invalid-input\]: --queue-ca goes with a rediss:\/\/ \(TLS\) URL/);
  } finally {
    tls.stop();
  }
});

test('usage: --queue goes with --batch, and with it --concurrency belongs to the workers', async () => {
  const single = await runCli(['flow', WORKFLOW, '--queue', redis.url, '--input', '{}']);
  assert.is(single.code, 2);
  assert.match(single.stderr, /--queue goes with --batch/);
  const conc = await runCli(['flow', WORKFLOW, '--batch', input, '--out', join(work, 'x.jsonl'), '--queue', redis.url, '--concurrency', '2']);
  assert.is(conc.code, 2);
  assert.match(conc.stderr, /with --queue, each worker's own --concurrency does/);
  const noQueue = await runCli(['worker']);
  assert.is(noQueue.code, 2);
  assert.match(noQueue.stderr, /worker needs --queue redis:\/\/HOST:PORT/);
});

test.run();
