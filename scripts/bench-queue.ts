/**
 * `npm run bench:queue`: batches over a queue (BullMQ on a real redis-server) against local
 * batches, side by side in one run, through the real CLI (dist/pocket-wit.mjs): the demo batch
 * (examples/workflows/review-report.yaml, four plugins in TypeScript, Rust, Go and C) over N
 * reviews locally with 1 and 2 threads, and with 1 and 2 queue workers (and 1 worker of
 * concurrency 2); then a workflow of built-ins only (examples/workflows/docs/echo.yaml), whose
 * items cost almost nothing, locally with 1 thread and with 1 queue worker: the difference per
 * item is the queue's own overhead. Each figure is the producer command's wall time, loading
 * included, as a user would see it. The last line is `BENCH_QUEUE_JSON {...}`.
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
  /** ms per item the queue adds: (1 worker − local 1 thread) / items, for the built-in workflow and the demo. */
  overheadMsPerItem: { builtins: number; demo: number };
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
  const redis = await startRedis();
  try {
    const reference = new Map<string, string>();
    const measure = async (workflow: string, input: string, setup: string, extra: string[], workers: number[] = []): Promise<QueueRow> => {
      const started = await Promise.all(workers.map((c, i) => startWorker(redis.url, c, { ...env, POCKET_HOME: join(tmp, `worker-${i}`) })));
      try {
        const out = join(tmp, 'out.jsonl');
        const r = await run(['flow', workflow, '--plugins', join(ROOT, 'examples'), '--batch', input, '--out', out, ...extra], env);
        if (r.code !== 0) throw new Error(`${setup} failed:\n${r.output}`);
        // Every setup must write the same results: a fast wrong answer is no figure.
        const text = readFileSync(out, 'utf8');
        const ref = reference.get(workflow);
        if (ref === undefined) reference.set(workflow, text);
        else if (ref !== text) throw new Error(`${setup}: --out differs from the local batch's`);
        const seconds = r.ms / 1000;
        return { setup, items, seconds, itemsPerSec: items / seconds };
      } finally {
        await stopWorkers(started);
      }
    };
    const q = ['--queue', redis.url];
    // Warm the transpile cache, so that no setup pays the first transpile.
    await measure(DEMO, demoInput, 'warm-up', ['--concurrency', '2']);
    const demo = [
      await measure(DEMO, demoInput, 'local batch, 1 thread', ['--concurrency', '1']),
      await measure(DEMO, demoInput, 'local batch, 2 threads', ['--concurrency', '2']),
      await measure(DEMO, demoInput, '1 queue worker (concurrency 1)', q, [1]),
      await measure(DEMO, demoInput, '2 queue workers (concurrency 1 each)', q, [1, 1]),
      await measure(DEMO, demoInput, '1 queue worker (concurrency 2)', q, [2]),
    ];
    const builtins = [await measure(ECHO, echoInput, 'built-ins only, local batch, 1 thread', ['--concurrency', '1']), await measure(ECHO, echoInput, 'built-ins only, 1 queue worker (concurrency 1)', q, [1])];
    return {
      items,
      demo,
      builtins,
      overheadMsPerItem: {
        builtins: ((builtins[1]!.seconds - builtins[0]!.seconds) * 1000) / items,
        demo: ((demo[2]!.seconds - demo[0]!.seconds) * 1000) / items,
      },
    };
  } finally {
    await redis.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatQueue(f: QueueFigures): string {
  const lines = [`Batches over a queue (redis-server on loopback, ${f.items} items; wall time of the producer command, loading included)`];
  const base = f.demo[0]!.itemsPerSec;
  for (const r of [...f.demo, ...f.builtins]) {
    lines.push(`  ${r.setup.padEnd(48)} ${r.seconds.toFixed(2).padStart(7)} s  ${r.itemsPerSec.toFixed(1).padStart(8)} items/s${f.demo.includes(r) ? `  ${(r.itemsPerSec / base).toFixed(2)}x local 1 thread` : ''}`);
  }
  lines.push(`  queue overhead per item: ${f.overheadMsPerItem.builtins.toFixed(2)} ms (built-ins only), ${f.overheadMsPerItem.demo.toFixed(2)} ms (demo)`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--items');
  const figures = await benchQueue(i > 0 ? { items: Number(process.argv[i + 1]) } : {});
  process.stdout.write(`${formatQueue(figures)}\n`);
  process.stdout.write(`BENCH_QUEUE_JSON ${JSON.stringify(figures)}\n`);
}
