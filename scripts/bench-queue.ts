/**
 * `npm run bench:queue`: batches over a queue (BullMQ on a real redis-server) against local
 * batches, side by side in one run, through the real CLI (dist/pocket-wit.mjs): the demo batch
 * (examples/workflows/review-report.yaml, four plugins in TypeScript, Rust, Go and C) over N
 * reviews locally with 1 and 2 threads, and with 1 and 2 queue workers (and 1 worker of
 * concurrency 2). Queue workers are long-running: each set is started once and warmed by a first
 * small batch of the same workflow (it loads the plugins into the worker's threads, which later
 * batches of that workflow reuse), as a deployed worker would be. Each figure is the producer
 * command's wall time, as a user sees it (a local batch's includes starting its threads and
 * loading the plugins in them).
 *
 * Then the queue's own cost per item, without fixed costs: a workflow of built-ins only
 * (examples/workflows/docs/echo.yaml, an item costs ~1 ms) over N and 2N items, locally with 1
 * thread and with 1 warm queue worker; overhead per item = (queue 2N − queue N − (local 2N −
 * local N)) / N. The last line is `BENCH_QUEUE_JSON {...}`.
 *
 * Needs redis-server (scripts/install-toolchains.sh). Flags: --items N (default 1000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveRedis, startRedis } from '../test/redis.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'pocket-wit.mjs');
const DEMO = join(ROOT, 'examples/workflows/review-report.yaml');
const ECHO = join(ROOT, 'examples/workflows/docs/echo.yaml');

export interface QueueRow {
  setup: string;
  items: number;
  seconds: number;
  itemsPerSec: number;
}

export interface QueueFigures {
  items: number;
  demo: QueueRow[];
  builtins: QueueRow[];
  /** ms per item the queue adds, fixed costs cancelled (see the top of this file). */
  overheadMsPerItem: number;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output, ms: performance.now() - started }));
  });
}

async function startWorker(url: string, concurrency: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--concurrency', String(concurrency)], { cwd: ROOT, env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 200 && !output.includes('worker: taking items'); i++) await new Promise((r) => setTimeout(r, 50));
  if (!output.includes('worker: taking items')) throw new Error(`a worker did not start:\n${output}`);
  return child;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    w.once('exit', () => resolve());
    w.kill('SIGTERM');
  })));
}

export async function benchQueue(options: { items?: number } = {}): Promise<QueueFigures> {
  if (!haveRedis()) throw new Error('redis-server is not installed: run scripts/install-toolchains.sh');
  const items = options.items ?? 1000;
  const tmp = mkdtempSync(join(tmpdir(), 'pocket-wit-bench-queue-'));
  const env = { POCKET_HOME: join(tmp, 'home'), POCKET_PLUGIN_PATH: '' };
  const reviews = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as { product: string; text: string }[];
  const demoInput = join(tmp, 'reviews.jsonl');
  writeFileSync(demoInput, Array.from({ length: items }, (_, i) => JSON.stringify({ id: `r${i}`, ...reviews[i % reviews.length] })).join('\n') + '\n');
  const echoInput = join(tmp, 'echo.jsonl');
  writeFileSync(echoInput, Array.from({ length: items }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n');
  const echoInput2 = join(tmp, 'echo2.jsonl');
  writeFileSync(echoInput2, Array.from({ length: 2 * items }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n');
  const concurrencyMax = 2;
  const redis = await startRedis();
  try {
    const reference = new Map<string, string>();
    const measure = async (workflow: string, input: string, setup: string, extra: string[], count = items): Promise<QueueRow> => {
      const out = join(tmp, 'out.jsonl');
      const r = await run(['flow', workflow, '--plugins', join(ROOT, 'examples'), '--batch', input, '--out', out, ...extra], env);
      if (r.code !== 0) throw new Error(`${setup} failed:\n${r.output}`);
      // Every setup must write the same results: a fast wrong answer is no figure.
      const text = readFileSync(out, 'utf8');
      const key = `${workflow}\0${input}`;
      const ref = reference.get(key);
      if (ref === undefined) reference.set(key, text);
      else if (ref !== text) throw new Error(`${setup}: --out differs from the local batch's`);
      const seconds = r.ms / 1000;
      return { setup, items: count, seconds, itemsPerSec: count / seconds };
    };
    /** Start workers, warm them with a small batch of `workflow`, measure, stop them. */
    const onWorkers = async <T>(concurrency: number[], warm: { workflow: string; input: string }, body: () => Promise<T>): Promise<T> => {
      const workers = await Promise.all(concurrency.map((c, i) => startWorker(redis.url, c, { ...env, POCKET_HOME: join(tmp, `worker-${i}`) })));
      try {
        const r = await run(['flow', warm.workflow, '--plugins', join(ROOT, 'examples'), '--batch', warm.input, '--out', join(tmp, 'warm.jsonl'), '--queue', redis.url], env);
        if (r.code !== 0) throw new Error(`warm-up failed:\n${r.output}`);
        return await body();
      } finally {
        await stopWorkers(workers);
      }
    };
    const q = ['--queue', redis.url];
    const demoWarm = { workflow: DEMO, input: join(tmp, 'warm-reviews.jsonl') };
    writeFileSync(demoWarm.input, readFileSync(demoInput, 'utf8').split('\n').slice(0, 20 * Math.max(1, concurrencyMax)).join('\n') + '\n');
    // Warm the transpile cache, so that no setup pays the first transpile.
    await measure(DEMO, demoWarm.input, 'warm-up', ['--concurrency', '2']);
    const demo = [
      await measure(DEMO, demoInput, 'local batch, 1 thread', ['--concurrency', '1']),
      await measure(DEMO, demoInput, 'local batch, 2 threads', ['--concurrency', '2']),
      await onWorkers([1], demoWarm, () => measure(DEMO, demoInput, '1 queue worker (concurrency 1)', q)),
      await onWorkers([1, 1], demoWarm, () => measure(DEMO, demoInput, '2 queue workers (concurrency 1 each)', q)),
      await onWorkers([2], demoWarm, () => measure(DEMO, demoInput, '1 queue worker (concurrency 2)', q)),
    ];
    const echoWarm = { workflow: ECHO, input: join(tmp, 'warm-echo.jsonl') };
    writeFileSync(echoWarm.input, '{"n":-1}\n');
    const localN = await measure(ECHO, echoInput, `built-ins only, ${items} items, local 1 thread`, ['--concurrency', '1']);
    const local2N = await measure(ECHO, echoInput2, `built-ins only, ${2 * items} items, local 1 thread`, ['--concurrency', '1'], 2 * items);
    const [queueN, queue2N] = await onWorkers([1], echoWarm, async () => [
      await measure(ECHO, echoInput, `built-ins only, ${items} items, 1 queue worker`, q),
      await measure(ECHO, echoInput2, `built-ins only, ${2 * items} items, 1 queue worker`, q, 2 * items),
    ]);
    const builtins = [localN, local2N, queueN!, queue2N!];
    return {
      items,
      demo,
      builtins,
      overheadMsPerItem: ((queue2N!.seconds - queueN!.seconds - (local2N.seconds - localN.seconds)) * 1000) / items,
    };
  } finally {
    await redis.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatQueue(f: QueueFigures): string {
  const lines = [`Batches over a queue (redis-server on loopback, ${f.items} items; wall time of the producer command; queue workers long-running and warm)`];
  const base = f.demo[0]!.itemsPerSec;
  for (const r of [...f.demo, ...f.builtins]) {
    lines.push(`  ${r.setup.padEnd(48)} ${r.seconds.toFixed(2).padStart(7)} s  ${r.itemsPerSec.toFixed(1).padStart(8)} items/s${f.demo.includes(r) ? `  ${(r.itemsPerSec / base).toFixed(2)}x local 1 thread` : ''}`);
  }
  lines.push(`  queue overhead per item (built-ins only, fixed costs cancelled): ${f.overheadMsPerItem.toFixed(2)} ms`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--items');
  const figures = await benchQueue(i > 0 ? { items: Number(process.argv[i + 1]) } : {});
  process.stdout.write(`${formatQueue(figures)}\n`);
  process.stdout.write(`BENCH_QUEUE_JSON ${JSON.stringify(figures)}\n`);
}
