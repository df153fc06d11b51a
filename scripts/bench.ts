/**
 * `npm run bench`: the sentiment-analyzer example built with each JS engine, measured side by
 * side in one run: build time and component size, first load (cold, then with the transpile
 * cache filled) in fresh processes, and per-call time of `runNode` against the plain-JS floor
 * (the same plugin as plain JavaScript through the same `Plugin.runNode`, no wasm).
 *
 * Then the workflow engine: its overhead per step (a generated chain of 1,000 `echo` nodes, less
 * the echo built-in's own work), on the built library (dist/) and on the sources through tsx, and
 * batch throughput of the demo pipeline (examples/workflows/review-pipeline.yaml with the QuickJS
 * build of the plugin) over 10,000 inputs with 1 and 2 worker threads, best of two interleaved
 * runs each (the machine may be shared). The batch runs the built library.
 *
 * Then the languages section (scripts/bench-languages.ts): the same two nodes in TypeScript, Rust,
 * Go and C, side by side. Then the sandbox section (scripts/bench-sandbox.ts): in-process vs
 * isolated call, timeout precision, an allocation bomb against its memory cap. Then plugin storage
 * (scripts/bench-storage.ts): `ctx.kv` get/set against the shared store's. Then the schema
 * section (scripts/bench-schemas.ts): the host's config/input checks, its validator against others.
 * Then the attacks section (scripts/bench-attacks.ts): what the attacks of test/adversarial.test.ts
 * cost the host (event-loop block, peak RSS) and the timeout's overshoot per language. Last the
 * endurance section (scripts/bench-endurance.ts): 100,000 calls per example on one loaded plugin
 * (failures, retries, linear memory and RSS at start and end, p50/p90/p99), and the demo batch
 * (review-report.yaml, four languages) over 10,000 reviews with 1 and 2 workers. Last, batches
 * over a queue (scripts/bench-queue.ts): the demo batch locally and through 1 and 2 queue workers.
 *
 * Loads and calls run in child processes (scripts/bench-load.ts, scripts/bench-workflow.ts), one
 * per measurement. The last line of output is `BENCH_JSON {...}` with every figure, for CI logs.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { arch, availableParallelism, loadavg, platform, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CallStats } from './bench-load.js';
import type { BatchStats, ChainStats } from './bench-workflow.js';
import { buildPlugin } from '../tools/build/build.js';
import { benchLanguages, formatLanguages } from './bench-languages.js';
import { benchSandbox, formatSandbox } from './bench-sandbox.js';
import { benchStorage, formatStorage } from './bench-storage.js';
import { benchSchemas, formatSchemas } from './bench-schemas.js';
import { benchAttacks, formatAttacks } from './bench-attacks.js';
import { benchEndurance, formatEndurance } from './bench-endurance.js';
import { benchQueue, formatQueue } from './bench-queue.js';
import type { JsEngine } from '../tools/build/bundle-ts.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CHILD = join(ROOT, 'scripts', 'bench-load.ts');
const WORKFLOW_CHILD = join(ROOT, 'scripts', 'bench-workflow.ts');
const PROJECT = join(ROOT, 'examples', 'sentiment-analyzer');
const NODE_TYPE = 'sentiment';
const INPUT = { text: 'This is amazing and wonderful! The support was great, but the docs were poor and a bit boring.' };
const ENGINES: readonly JsEngine[] = ['quickjs', 'starlingmonkey'];
const CACHED_LOAD_RUNS = 3;
const WARMUP = 300;
const CALLS = 2000;
const CHILD_TIMEOUT_MS = 5 * 60_000;
const CHAIN_STEPS = 1000;
const CHAIN_WARMUP = 10;
const CHAIN_RUNS = 30;
const PIPELINE = join(ROOT, 'examples', 'workflows', 'review-pipeline.yaml');
const REVIEWS = join(ROOT, 'examples', 'data', 'reviews.json');
const BATCH_ENGINE: JsEngine = 'quickjs';
const BATCH_ITEMS = 10_000;
const BATCH_CONCURRENCY = [1, 2] as const;
/** Runs per concurrency, interleaved (1, 2, 1, 2); the fastest of each counts. */
const BATCH_ROUNDS = 2;
const SCALING_GOAL = 1.7;
/** The chain runs on both; the batch only on the build (see scripts/bench-workflow.ts). */
const CHAIN_LIBS = ['dist', 'src'] as const;
const CHAIN_LIB_LABEL: Record<(typeof CHAIN_LIBS)[number], string> = { dist: 'dist/ (tsc)', src: 'sources (tsx)' };
/** What the workflow child imports from the build (see scripts/bench-workflow.ts). */
const DIST_BATCH = join(ROOT, 'dist', 'host', 'src', 'workflow', 'batch.js');

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
interface WorkflowFigures {
  chain: Record<(typeof CHAIN_LIBS)[number], ChainStats>;
  /** The fastest run per concurrency (by items/s), and every run in the order made. */
  batch: Record<(typeof BATCH_CONCURRENCY)[number], BatchStats>;
  runs: Record<(typeof BATCH_CONCURRENCY)[number], BatchStats[]>;
  /** items/s with 2 workers over items/s with 1: wall time, and steady (start-up left out). */
  scaling: number;
  steadyScaling: number;
}
interface Machine {
  cores: number;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Run scripts/bench-load.ts (or another child script) in a fresh Node process; its last stdout line is JSON. */
async function runChild<T>(args: string[], script = CHILD): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], {
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

/**
 * The project to build with an engine. StarlingMonkey needs 12 MB of memory at start, more than
 * the example's reference `memory: 10MB` (the cap is enforced): it builds a copy asking for 16MB.
 */
function projectFor(engine: JsEngine, tmp: string): string {
  if (engine === 'quickjs') return PROJECT;
  const copy = join(tmp, `project-${engine}`);
  cpSync(PROJECT, copy, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
  const manifest = join(copy, 'manifest.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('memory: 10MB', 'memory: 16MB'));
  return copy;
}

/** Build the example with one engine into the temp dir (never into examples/). */
async function measureBuild(engine: JsEngine, tmp: string): Promise<BuildFigures> {
  progress(`building with ${engine}`);
  const project = projectFor(engine, tmp);
  const t0 = performance.now();
  const result = await buildPlugin(project, { engine, out: join(tmp, `sentiment-analyzer.${engine}.wasm`) });
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

/**
 * The workflow benchmarks run the built library: refuse to start without it, and say so when a
 * host source is newer than its build (the dist/ figures would then measure older code).
 */
function checkDist(): void {
  if (!existsSync(DIST_BATCH)) throw new Error(`${relative(ROOT, DIST_BATCH)} is missing: run \`npm run build\` first (the workflow benchmarks run the built library)`);
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = join(ROOT, 'dist', relative(ROOT, path)).replace(/\.ts$/, '.js');
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  walk(join(ROOT, 'host', 'src'));
  if (stale.length) progress(`warning: dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}; the dist/ figures measure the last \`npm run build\``);
}

/** Engine overhead per step: a chain of echo nodes against the echo built-in's own phases. */
async function measureChain(tmp: string, lib: (typeof CHAIN_LIBS)[number]): Promise<ChainStats> {
  progress(`timing a chain of ${CHAIN_STEPS} echo nodes on ${CHAIN_LIB_LABEL[lib]} (${CHAIN_WARMUP} warmup, ${CHAIN_RUNS} timed runs)`);
  return runChild<ChainStats>(['chain', lib, tmp, String(CHAIN_STEPS), String(CHAIN_WARMUP), String(CHAIN_RUNS)], WORKFLOW_CHILD);
}

/** The demo pipeline over BATCH_ITEMS inputs with `concurrency` worker threads; any failed item fails the bench. */
async function measureBatch(wasm: string, cacheDir: string, concurrency: number, round: number): Promise<BatchStats> {
  progress(`batch: ${BATCH_ITEMS} items through ${relative(ROOT, PIPELINE)} on ${BATCH_ENGINE}, concurrency ${concurrency} (run ${round + 1} of ${BATCH_ROUNDS})`);
  const stats = await runChild<BatchStats>(['batch', wasm, cacheDir, PIPELINE, REVIEWS, String(BATCH_ITEMS), String(concurrency)], WORKFLOW_CHILD);
  if (stats.failed > 0 || stats.ok !== BATCH_ITEMS) {
    throw new Error(`batch with concurrency ${concurrency}: ${stats.failed} of ${BATCH_ITEMS} items failed (${stats.ok} ok); first failure: ${JSON.stringify(stats.firstError)}`);
  }
  return stats;
}

async function measureWorkflow(tmp: string, wasm: string, cacheDir: string): Promise<WorkflowFigures> {
  const chain = { dist: await measureChain(tmp, 'dist'), src: await measureChain(tmp, 'src') };
  const runs = { 1: [], 2: [] } as WorkflowFigures['runs'];
  for (let round = 0; round < BATCH_ROUNDS; round++) for (const c of BATCH_CONCURRENCY) runs[c].push(await measureBatch(wasm, cacheDir, c, round));
  const best = (rs: BatchStats[]): BatchStats => rs.reduce((a, b) => (b.itemsPerSec > a.itemsPerSec ? b : a));
  const batch = { 1: best(runs[1]), 2: best(runs[2]) };
  return { chain, batch, runs, scaling: batch[2].itemsPerSec / batch[1].itemsPerSec, steadyScaling: batch[2].steadyItemsPerSec / batch[1].steadyItemsPerSec };
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

const rate = (n: number): string => `${n.toFixed(0)}/s`;
const load3 = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');

function printReport(figures: Record<JsEngine, EngineFigures>, floor: CallStats, wf: WorkflowFigures, machine: Machine): void {
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
    '',
    ...workflowLines(wf, machine, row),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function workflowLines(wf: WorkflowFigures, machine: Machine, row: (label: string, cells: string[]) => string): string[] {
  const { chain, batch, runs } = wf;
  const perLib = (fn: (c: ChainStats) => string): string[] => CHAIN_LIBS.map((l) => fn(chain[l]));
  const perBatch = (fn: (b: BatchStats) => string): string[] => BATCH_CONCURRENCY.map((c) => fn(batch[c]));
  const met = wf.scaling >= SCALING_GOAL;
  return [
    `Workflow engine: chain of ${CHAIN_STEPS} echo nodes (${CHAIN_WARMUP} warmup, ${CHAIN_RUNS} timed runs, median)`,
    row('', CHAIN_LIBS.map((l) => CHAIN_LIB_LABEL[l])),
    row('run', perLib((c) => ms(c.runMedianMs))),
    row('per step, raw', perLib((c) => us(c.perStepUs))),
    row('echo node work per step', perLib((c) => us(c.nodeWorkPerStepUs))),
    row('engine overhead per step', perLib((c) => us(c.overheadPerStepUs))),
    `Batch: ${relative(ROOT, PIPELINE)} + sentiment (${BATCH_ENGINE}), ${BATCH_ITEMS} items, runBatch from dist/ (fastest of ${BATCH_ROUNDS} runs)`,
    row('', BATCH_CONCURRENCY.map((c) => `concurrency ${c}`)),
    row('wall time', perBatch((b) => ms(b.wallMs))),
    row('first result (start-up)', perBatch((b) => ms(b.firstResultMs))),
    row('items/s', perBatch((b) => rate(b.itemsPerSec))),
    row('items/s, every run', BATCH_CONCURRENCY.map((c) => runs[c].map((r) => r.itemsPerSec.toFixed(0)).join(' / '))),
    row('items/s after first result', perBatch((b) => rate(b.steadyItemsPerSec))),
    row('cores busy (process CPU/wall)', perBatch((b) => b.coresBusy.toFixed(2))),
    row('CPU per item', perBatch((b) => us((b.cpuMs * 1000) / b.items))),
    row('failed', perBatch((b) => String(b.failed))),
    '',
    'Workflow ratios',
    `  engine overhead per step is ${ratio(chain.dist.overheadPerStepUs, chain.dist.nodeWorkPerStepUs)} the echo node's own work (dist/)`,
    `  sources (tsx)/dist/ engine overhead per step: ${ratio(chain.src.overheadPerStepUs, chain.dist.overheadPerStepUs)}`,
    `  batch scaling 2/1 workers: ${wf.scaling.toFixed(2)}x items/s (goal >= ${SCALING_GOAL}x on 2 cores: ${met ? 'met' : 'NOT met'}); ${wf.steadyScaling.toFixed(2)}x after start-up`,
    `  machine: ${machine.cores} cores, load average ${load3(machine.loadAvgStart)} at start, ${load3(machine.loadAvgEnd)} at end; other work on it makes these figures noisy`,
  ];
}

function printJson(figures: Record<JsEngine, EngineFigures>, floor: CallStats, wf: WorkflowFigures, machine: Machine, list: ListFigures): void {
  const engines = Object.fromEntries(
    ENGINES.map((e) => {
      const { build, load, call } = figures[e];
      return [e, { buildMs: build.buildMs, bytes: build.bytes, load, call, callP50VsFloor: call.p50Us / floor.p50Us }];
    }),
  );
  const workflow = {
    chain: wf.chain,
    batch: {
      workflow: relative(ROOT, PIPELINE),
      engine: BATCH_ENGINE,
      items: BATCH_ITEMS,
      rounds: BATCH_ROUNDS,
      concurrency: Object.fromEntries(BATCH_CONCURRENCY.map((c) => [c, wf.batch[c]])),
      runs: Object.fromEntries(BATCH_CONCURRENCY.map((c) => [c, wf.runs[c]])),
      scaling: wf.scaling,
      steadyScaling: wf.steadyScaling,
      scalingGoal: SCALING_GOAL,
      scalingGoalMet: wf.scaling >= SCALING_GOAL,
    },
  };
  const json = { plugin: 'sentiment-analyzer', node: process.version, platform: `${platform()}-${arch()}`, machine, warmup: WARMUP, calls: CALLS, engines, floor, workflow, list };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
}

async function bench(tmp: string): Promise<void> {
  const loadAvgStart = loadavg();
  checkDist();
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
  const wf = await measureWorkflow(tmp, builds[BATCH_ENGINE].out, join(tmp, `cache-${BATCH_ENGINE}`));
  process.stderr.write('bench: `pocket-wit list` with 100 installed plugins\n');
  const list = await runChild<ListFigures>([builds[BATCH_ENGINE].out], join(ROOT, 'scripts', 'bench-list.ts'));
  const machine: Machine = { cores: availableParallelism(), loadAvgStart, loadAvgEnd: loadavg() };
  printReport(figures, floor, wf, machine);
  process.stdout.write(
    [
      `Plugin management: \`pocket-wit list\` with ${list.plugins} installed plugins (real CLI, fresh process each)`,
      `  first list (metadata index empty: every component read) ${ms(list.coldMs)}`,
      `  later lists (index filled, median of 3)                 ${ms(list.warmMs)}`,
      `  the CLI with nothing installed (start-up alone)         ${ms(list.baselineMs)}`,
      `  list work beyond start-up: ${ms(list.warmMs - list.baselineMs)} for ${list.plugins} plugins`,
      '',
    ].join('\n'),
  );
  printJson(figures, floor, wf, machine, list);
  // The same nodes in TypeScript, Rust, Go and C (scripts/bench-languages.ts).
  const languages = await benchLanguages(tmp);
  process.stdout.write(formatLanguages(languages));
  process.stdout.write(`BENCH_LANGUAGES_JSON ${JSON.stringify(languages)}\n`);

  // The sandbox: isolation's cost per call, timeout precision, the memory cap (scripts/bench-sandbox.ts).
  const sandbox = await benchSandbox(tmp);
  process.stdout.write(formatSandbox(sandbox));
  process.stdout.write(`BENCH_SANDBOX_JSON ${JSON.stringify(sandbox)}\n`);

  // Plugin storage (wasi:keyvalue on SQLite) against the shared store (scripts/bench-storage.ts).
  const storage = await benchStorage(tmp);
  process.stdout.write(formatStorage(storage));
  process.stdout.write(`BENCH_STORAGE_JSON ${JSON.stringify(storage)}\n`);

  // The host's schema checks: the validator it uses against the alternatives (scripts/bench-schemas.ts).
  const schemas = benchSchemas();
  process.stdout.write(`\n${formatSchemas(schemas)}\n`);
  process.stdout.write(`BENCH_SCHEMAS_JSON ${JSON.stringify(schemas)}\n`);

  // Attacks: event-loop block and peak RSS per attack, timeout overshoot per language (scripts/bench-attacks.ts).
  const attacks = await benchAttacks(tmp);
  process.stdout.write(formatAttacks(attacks));
  process.stdout.write(`BENCH_ATTACKS_JSON ${JSON.stringify(attacks)}\n`);

  // Endurance: 100,000 calls per example on one loaded plugin, and the demo batch over 10,000
  // reviews with 1 and 2 workers (scripts/bench-endurance.ts; alone: npm run bench:soak).
  const endurance = await benchEndurance();
  process.stdout.write(`\n${formatEndurance(endurance)}\n`);
  process.stdout.write(`BENCH_SOAK_JSON ${JSON.stringify(endurance)}\n`);

  // Batches over a queue (BullMQ on redis-server) against local batches (scripts/bench-queue.ts;
  // alone: npm run bench:queue).
  const queue = await benchQueue();
  process.stdout.write(`\n${formatQueue(queue)}\n`);
  process.stdout.write(`BENCH_QUEUE_JSON ${JSON.stringify(queue)}\n`);
}

interface ListFigures {
  plugins: number;
  coldMs: number;
  warmMs: number;
  baselineMs: number;
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
