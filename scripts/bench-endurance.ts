/**
 * `npm run bench:soak` (and the endurance section of `npm run bench`): long runs and big batches.
 *
 * Soak: each example plugin (TypeScript sentiment on QuickJS, Rust word-counter, C word-stats, Go
 * json-transformer) is loaded once and called SOAK_CALLS times in a row (100,000 by default), in
 * a fresh process per plugin (scripts/bench-soak-child.ts): failures, calls retried on a fresh
 * instance, linear memory of its instances and the host's RSS after the first call and after the
 * last, and p50/p90/p99 of a call.
 *
 * Batch: the demo workflow (examples/workflows/review-report.yaml: all four plugins) over
 * BATCH_ITEMS reviews (10,000), with 1 and then 2 worker threads (scripts/bench-workflow.ts):
 * items/s, failed items.
 *
 *   npm run bench:soak [-- --calls N] [-- --items N] [-- --lib <path to another build's dist/host/src/index.js>]
 *
 * `--lib` measures another checkout's build with the same plugins (the figures before a change);
 * the batch then is left out. The last line is `BENCH_SOAK_JSON {...}`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildPlugin } from '../tools/build/build.js';
import type { SoakStats } from './bench-soak-child.js';
import type { BatchStats } from './bench-workflow.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SOAK_CHILD = join(ROOT, 'scripts', 'bench-soak-child.ts');
const WORKFLOW_CHILD = join(ROOT, 'scripts', 'bench-workflow.ts');
const DIST_INDEX = join(ROOT, 'dist', 'host', 'src', 'index.js');
const DEMO = join(ROOT, 'examples', 'workflows', 'review-report.yaml');
const REVIEWS = join(ROOT, 'examples', 'data', 'reviews.json');
export const SOAK_CALLS = 100_000;
export const BATCH_ITEMS = 10_000;
const CHILD_TIMEOUT_MS = 60 * 60_000;

export const SOAK_EXAMPLES = [
  { language: 'TypeScript (QuickJS)', project: 'sentiment-analyzer', node: 'sentiment' },
  { language: 'Rust', project: 'word-counter', node: 'word-count' },
  { language: 'C', project: 'c-word-stats', node: 'word-stats' },
  { language: 'Go', project: 'json-transformer', node: 'json-transform' },
] as const;

export interface EnduranceFigures {
  calls: number;
  soak: (SoakStats & { language: string })[];
  batchItems: number;
  batch: BatchStats[];
}

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function child<T>(script: string, args: string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${script} ${args.join(' ')} failed: ${(e.stderr?.trim() || e.message).split('\n').slice(0, 12).join('\n  ')}`);
  }
}

/** Build the four examples into `tmp`; their files by project name. */
async function buildExamples(tmp: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const e of SOAK_EXAMPLES) {
    progress(`building examples/${e.project}`);
    files[e.project] = (await buildPlugin(join(ROOT, 'examples', e.project), { engine: 'quickjs', out: join(tmp, `${e.project}.wasm`) })).out;
  }
  return files;
}

export async function benchEndurance(options: { calls?: number; items?: number; lib?: string } = {}): Promise<EnduranceFigures> {
  const calls = options.calls ?? SOAK_CALLS;
  const items = options.items ?? BATCH_ITEMS;
  const lib = options.lib ?? DIST_INDEX;
  const tmp = mkdtempSync(join(tmpdir(), 'pocket-wit-soak-'));
  try {
    const files = await buildExamples(tmp);
    const soak: EnduranceFigures['soak'] = [];
    for (const e of SOAK_EXAMPLES) {
      progress(`soak: ${calls} calls of ${e.project}/${e.node} on one loaded plugin`);
      soak.push({ language: e.language, ...(await child<SoakStats>(SOAK_CHILD, [lib, files[e.project]!, e.node, String(calls), 'retry'])) });
    }
    const batch: BatchStats[] = [];
    if (!options.lib) {
      const plugins = SOAK_EXAMPLES.map((e) => files[e.project]!).join(',');
      for (const concurrency of [1, 2]) {
        progress(`batch: ${items} reviews through ${DEMO.slice(ROOT.length + 1)}, ${concurrency} worker(s)`);
        batch.push(await child<BatchStats>(WORKFLOW_CHILD, ['batch', plugins, join(tmp, 'cache'), DEMO, REVIEWS, String(items), String(concurrency)]));
      }
    }
    return { calls, soak, batchItems: items, batch };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const mb = (n: number | null): string => (n === null ? 'n/a' : `${(n / 1048576).toFixed(1)} MB`);
const us = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${Math.round(n)} µs`);

export function formatEndurance(f: EnduranceFigures): string {
  const lines = [`Soak: ${f.calls.toLocaleString('en')} calls per example on one loaded plugin (worker sandbox, one process each)`];
  const head = ['plugin', 'failed', 'retried', 'linear start', 'linear end', 'RSS start', 'RSS end', 'p50', 'p90', 'p99', 'p90/p50', 'p99/p50', 'wall'];
  const rows = f.soak.map((s) => [
    s.language,
    String(s.failed),
    String(s.retried),
    mb(s.linearStart),
    mb(s.linearEnd),
    mb(s.rssStart),
    mb(s.rssEnd),
    us(s.p50Us),
    us(s.p90Us),
    us(s.p99Us),
    `${(s.p90Us / s.p50Us).toFixed(1)}x`,
    `${(s.p99Us / s.p50Us).toFixed(1)}x`,
    `${(s.wallMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  lines.push(fmt(head), ...rows.map(fmt));
  for (const s of f.soak) if (s.firstFailure) lines.push(`  ${s.language}: first failure at call ${s.firstFailure.call}: ${s.firstFailure.code}: ${s.firstFailure.message}`);
  if (f.batch.length) {
    lines.push('', `Demo batch: examples/workflows/review-report.yaml (TypeScript, Rust, C, Go plugins) over ${f.batchItems.toLocaleString('en')} reviews`);
    for (const b of f.batch) {
      lines.push(`  ${b.concurrency} worker${b.concurrency > 1 ? 's' : ''}: ${b.ok} ok, ${b.failed} failed, ${b.itemsPerSec.toFixed(0)} items/s (${b.steadyItemsPerSec.toFixed(0)} after start-up), ${(b.wallMs / 1000).toFixed(1)} s${b.firstError ? `; first failure: ${JSON.stringify(b.firstError).slice(0, 300)}` : ''}`);
    }
    if (f.batch.length === 2) lines.push(`  scaling 2/1 workers: ${(f.batch[1]!.itemsPerSec / f.batch[0]!.itemsPerSec).toFixed(2)}x items/s`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const calls = flag('calls');
  const items = flag('items');
  const lib = flag('lib');
  const figures = await benchEndurance({ ...(calls ? { calls: Number(calls) } : {}), ...(items ? { items: Number(items) } : {}), ...(lib ? { lib } : {}) });
  process.stdout.write(`${formatEndurance(figures)}\n`);
  process.stdout.write(`BENCH_SOAK_JSON ${JSON.stringify(figures)}\n`);
  const lost = figures.soak.reduce((n, s) => n + s.failed, 0) + figures.batch.reduce((n, b) => n + b.failed, 0);
  if (lost > 0) process.exitCode = 1;
}
