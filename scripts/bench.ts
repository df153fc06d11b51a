/**
 * `npm run bench`: the sentiment-analyzer example built with each JS engine, measured side by
 * side in one run: build time and component size, first load (cold, then with the transpile
 * cache filled) in fresh processes, and per-call time of `runNode` against the plain-JS floor
 * (the same plugin as plain JavaScript through the same `Plugin.runNode`, no wasm).
 *
 * Loads and calls run in child processes (scripts/bench-load.ts), one per measurement. The last
 * line of output is `BENCH_JSON {...}` with every figure, for CI logs.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CallStats } from './bench-load.js';
import { buildPlugin } from '../tools/build/build.js';
import type { JsEngine } from '../tools/build/bundle-ts.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CHILD = join(ROOT, 'scripts', 'bench-load.ts');
const PROJECT = join(ROOT, 'examples', 'sentiment-analyzer');
const NODE_TYPE = 'sentiment';
const INPUT = { text: 'This is amazing and wonderful! The support was great, but the docs were poor and a bit boring.' };
const ENGINES: readonly JsEngine[] = ['quickjs', 'starlingmonkey'];
const CACHED_LOAD_RUNS = 3;
const WARMUP = 300;
const CALLS = 2000;
const CHILD_TIMEOUT_MS = 5 * 60_000;

interface BuildFigures {
  buildMs: number;
  bytes: number;
  out: string;
}
interface LoadRun {
  loadMs: number;
  firstCallMs: number;
  transpileCached: boolean;
  result: unknown;
}
interface LoadFigures {
  coldMs: number;
  coldFirstCallMs: number;
  cachedMs: number;
  cachedRunsMs: number[];
  cachedFirstCallMs: number;
}
interface CallRun {
  stats: CallStats;
  result: unknown;
}
interface EngineFigures {
  build: BuildFigures;
  load: LoadFigures;
  call: CallStats;
}

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Run scripts/bench-load.ts in a fresh Node process; its last stdout line is JSON. */
async function runChild<T>(args: string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      cwd: ROOT,
      timeout: CHILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    const last = stdout.trim().split('\n').at(-1);
    if (!last) throw new Error('the child printed nothing');
    return JSON.parse(last) as T;
  } catch (err) {
    const e = err as Error & { stderr?: string; killed?: boolean };
    const detail = e.stderr?.trim() || e.message;
    throw new Error(`child "${args[0]}" failed${e.killed ? ' (timed out)' : ''}:\n  ${detail.split('\n').slice(0, 12).join('\n  ')}`);
  }
}

/** Build the example with one engine into the temp dir (never into examples/). */
async function measureBuild(engine: JsEngine, tmp: string): Promise<BuildFigures> {
  progress(`building with ${engine}`);
  const t0 = performance.now();
  const result = await buildPlugin(PROJECT, { engine, out: join(tmp, `sentiment-analyzer.${engine}.wasm`) });
  return { buildMs: performance.now() - t0, bytes: result.bytes.length, out: result.out };
}

/** First load in fresh processes: once with an empty transpile cache, then with it filled. */
async function measureLoad(engine: JsEngine, wasm: string, cacheDir: string, check: (r: unknown, what: string) => void): Promise<LoadFigures> {
  progress(`loading ${engine} (cold, then ${CACHED_LOAD_RUNS}x cached)`);
  await mkdir(cacheDir);
  const args = ['load', wasm, cacheDir, NODE_TYPE, JSON.stringify(INPUT)];
  const cold = await runChild<LoadRun>(args);
  if (cold.transpileCached) throw new Error(`${engine}: the cold load was served from the cache`);
  check(cold.result, `${engine} cold load`);
  const cached: LoadRun[] = [];
  for (let i = 0; i < CACHED_LOAD_RUNS; i++) {
    const run = await runChild<LoadRun>(args);
    if (!run.transpileCached) throw new Error(`${engine}: a load after the cold one was not served from the cache`);
    check(run.result, `${engine} cached load`);
    cached.push(run);
  }
  return {
    coldMs: cold.loadMs,
    coldFirstCallMs: cold.firstCallMs,
    cachedMs: median(cached.map((r) => r.loadMs)),
    cachedRunsMs: cached.map((r) => r.loadMs),
    cachedFirstCallMs: median(cached.map((r) => r.firstCallMs)),
  };
}

/** Warm per-call time of one engine, in a fresh process with the cache filled. */
async function measureCalls(engine: JsEngine, wasm: string, cacheDir: string, check: (r: unknown, what: string) => void): Promise<CallStats> {
  progress(`timing ${CALLS} calls on ${engine} (${WARMUP} warmup)`);
  const run = await runChild<CallRun>(['calls', wasm, cacheDir, NODE_TYPE, JSON.stringify(INPUT), String(WARMUP), String(CALLS)]);
  check(run.result, `${engine} calls`);
  return run.stats;
}

/** The floor: the same plugin as plain JavaScript in the host process, through Plugin.runNode. */
async function measureFloor(tmp: string, check: (r: unknown, what: string) => void): Promise<CallStats> {
  progress(`timing ${CALLS} calls on the plain-JS floor (${WARMUP} warmup)`);
  const run = await runChild<CallRun>(['floor', PROJECT, tmp, NODE_TYPE, JSON.stringify(INPUT), String(WARMUP), String(CALLS)]);
  check(run.result, 'plain-JS floor');
  return run.stats;
}

/** Every run must give the same result: the engines and the floor do the same work. */
function resultChecker(): (result: unknown, what: string) => void {
  let expected: string | undefined;
  return (result, what) => {
    const text = JSON.stringify(result);
    expected ??= text;
    if (text !== expected) throw new Error(`${what} returned ${text}, but an earlier run returned ${expected}`);
  };
}

const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(n < 10 ? 2 : 0)} ms`);
const us = (n: number): string => `${n.toFixed(n < 100 ? 1 : 0)} µs`;
const size = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(0)} KB`);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;

function printReport(figures: Record<JsEngine, EngineFigures>, floor: CallStats): void {
  const cols = [...ENGINES, 'plain JS'];
  const row = (label: string, cells: string[]): string => `  ${label.padEnd(30)}${cells.map((c) => c.padStart(16)).join('')}`;
  const per = (fn: (f: EngineFigures) => string, floorCell = ''): string[] => [...ENGINES.map((e) => fn(figures[e])), floorCell];
  const q = figures.quickjs;
  const sm = figures.starlingmonkey;
  const lines = [
    `pocket-wit bench: examples/sentiment-analyzer, node ${process.version} ${platform()}-${arch()}`,
    `input: ${JSON.stringify(INPUT)}`,
    '',
    row('', cols),
    'Build',
    row('build time', per((f) => ms(f.build.buildMs), '-')),
    row('component size', per((f) => size(f.build.bytes), '-')),
    'First load (fresh process)',
    row('cold (empty transpile cache)', per((f) => ms(f.load.coldMs), '-')),
    row(`cached (median of ${CACHED_LOAD_RUNS})`, per((f) => ms(f.load.cachedMs), '-')),
    row('first call after cached load', per((f) => ms(f.load.cachedFirstCallMs), '-')),
    `Call runNode('${NODE_TYPE}') warm (${WARMUP} warmup, ${CALLS} timed)`,
    row('p50', [...ENGINES.map((e) => us(figures[e].call.p50Us)), us(floor.p50Us)]),
    row('p90', [...ENGINES.map((e) => us(figures[e].call.p90Us)), us(floor.p90Us)]),
    row('mean', [...ENGINES.map((e) => us(figures[e].call.meanUs)), us(floor.meanUs)]),
    '',
    'Ratios',
    ...ENGINES.map((e) => `  ${e} call p50 is ${ratio(figures[e].call.p50Us, floor.p50Us)} the plain-JS floor (mean ${ratio(figures[e].call.meanUs, floor.meanUs)})`),
    `  starlingmonkey/quickjs call p50: ${ratio(sm.call.p50Us, q.call.p50Us)}`,
    `  starlingmonkey/quickjs size: ${ratio(sm.build.bytes, q.build.bytes)}`,
    `  starlingmonkey/quickjs build time: ${ratio(sm.build.buildMs, q.build.buildMs)}`,
    `  starlingmonkey/quickjs cached load: ${ratio(sm.load.cachedMs, q.load.cachedMs)}`,
    ...ENGINES.map((e) => `  ${e} cold/cached load: ${ratio(figures[e].load.coldMs, figures[e].load.cachedMs)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printJson(figures: Record<JsEngine, EngineFigures>, floor: CallStats): void {
  const engines = Object.fromEntries(
    ENGINES.map((e) => {
      const { build, load, call } = figures[e];
      return [e, { buildMs: build.buildMs, bytes: build.bytes, load, call, callP50VsFloor: call.p50Us / floor.p50Us }];
    }),
  );
  const json = { plugin: 'sentiment-analyzer', node: process.version, platform: `${platform()}-${arch()}`, warmup: WARMUP, calls: CALLS, engines, floor };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
}

async function bench(tmp: string): Promise<void> {
  const check = resultChecker();
  const figures = {} as Record<JsEngine, EngineFigures>;
  const builds = {} as Record<JsEngine, BuildFigures>;
  for (const engine of ENGINES) builds[engine] = await measureBuild(engine, tmp);
  for (const engine of ENGINES) {
    const cacheDir = join(tmp, `cache-${engine}`);
    const load = await measureLoad(engine, builds[engine].out, cacheDir, check);
    const call = await measureCalls(engine, builds[engine].out, cacheDir, check);
    figures[engine] = { build: builds[engine], load, call };
  }
  const floor = await measureFloor(tmp, check);
  printReport(figures, floor);
  printJson(figures, floor);
}

const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-bench-'));
process.once('SIGINT', () => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});
let code = 0;
try {
  await bench(tmp);
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`bench failed: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  code = 1;
} finally {
  await rm(tmp, { recursive: true, force: true });
}
// The StarlingMonkey toolchain can leave handles open; the report is written, so leave now.
process.exit(code);
