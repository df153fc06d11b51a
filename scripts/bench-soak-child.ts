/**
 * One soak measurement of `npm run bench:soak` (scripts/bench-endurance.ts), in a fresh Node
 * process: load one example plugin and call it `calls` times in a row on the same loaded plugin,
 * then print one JSON line (SoakStats).
 *
 *   node --import tsx scripts/bench-soak-child.ts <index.js of the host library> <wasm> <node> <calls> <retry|noretry>
 *
 * The host library is given by path, so the same child measures another checkout's build (the
 * figures before a change). Linear memory comes from `Plugin.stats()` where the library has it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const REVIEWS = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as { id: string; product: string; text: string }[];

/**
 * The input of call `i` for each example's node: varied, so no call is a replay of the last, but of
 * about the same size, so that p90/p50 and p99/p50 measure the host's jitter, not the input's.
 */
const SOAK_INPUTS: Record<string, (i: number) => unknown> = {
  sentiment: (i) => ({ text: REVIEWS[i % REVIEWS.length]!.text }),
  'word-count': (i) => ({ text: `${REVIEWS[i % REVIEWS.length]!.text} ${i}` }),
  'word-stats': (i) => ({ text: `${REVIEWS[i % REVIEWS.length]!.text} ${i}` }),
  'json-transform': (i) => ({ data: { review: REVIEWS[i % REVIEWS.length], n: { i, list: [i, i + 1, { deep: 'x'.repeat(i % 50) }] } }, transform: 'flatten' }),
};

export interface SoakStats {
  node: string;
  calls: number;
  ok: number;
  failed: number;
  /** Calls retried on a fresh instance (their instance died). */
  retried: number;
  firstFailure?: { call: number; code: string; message: string };
  /** Linear memory of the plugin's instances after the first call and after the last (bytes); null when the library cannot say. */
  linearStart: number | null;
  linearEnd: number | null;
  /** Host process RSS after the first call and after the last (bytes). */
  rssStart: number;
  rssEnd: number;
  /** Per-call time of `runNode` (µs). */
  p50Us: number;
  p90Us: number;
  p99Us: number;
  wallMs: number;
}

interface PluginLike {
  runNode(type: string, options: { input: unknown; onRetry?: () => void }): Promise<unknown>;
  close(): Promise<void>;
  stats?(): { memoryBytes: number };
}

async function main(): Promise<SoakStats> {
  const [lib = '', wasm = '', node = '', callsArg = '100000', retry = 'retry'] = process.argv.slice(2);
  const { loadPlugin } = (await import(pathToFileURL(lib).href)) as { loadPlugin(file: string, o: object): Promise<PluginLike> };
  const input = SOAK_INPUTS[node];
  if (!input) throw new Error(`no soak input for node "${node}"`);
  const calls = Number(callsArg);
  const plugin = await loadPlugin(wasm, { log: () => {}, retryCrashed: retry === 'retry' });
  const linear = (): number | null => (typeof plugin.stats === 'function' ? plugin.stats().memoryBytes : null);
  const times = new Float64Array(calls);
  let ok = 0;
  let failed = 0;
  let retried = 0;
  let firstFailure: SoakStats['firstFailure'];
  let linearStart: number | null = null;
  let rssStart = 0;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    try {
      await plugin.runNode(node, { input: input(i), onRetry: () => void retried++ });
      ok++;
    } catch (err) {
      failed++;
      const e = err as Error & { code?: string };
      firstFailure ??= { call: i + 1, code: e.code ?? 'unknown', message: e.message.slice(0, 300) };
    }
    times[i] = performance.now() - s;
    if (i === 0) {
      linearStart = linear();
      rssStart = process.memoryUsage.rss();
    }
  }
  const wallMs = performance.now() - t0;
  const linearEnd = linear();
  const rssEnd = process.memoryUsage.rss();
  await plugin.close();
  const sorted = [...times.subarray(1)].sort((a, b) => a - b);
  const at = (q: number): number => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 1000;
  return { node, calls, ok, failed, retried, ...(firstFailure ? { firstFailure } : {}), linearStart, linearEnd, rssStart, rssEnd, p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99), wallMs };
}

try {
  const out = await main();
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
} catch (err) {
  process.stderr.write(`bench-soak-child: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
