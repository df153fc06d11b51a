/**
 * The sandbox section of `npm run bench` (also `npm run bench:sandbox` alone), side by side in
 * one run:
 * - the same trivial node (tiny JSON in and out, `test/fixtures/bench-c`'s `echo`) called
 *   in-process (`isolation: 'in-process'`: no isolation) and isolated (the default sandbox: a worker
 *   thread behind a SharedArrayBuffer channel), p50 and p90 of `Plugin.exec`, and the ratio;
 * - timeout precision: a busy loop (`test/fixtures/sandbox-ts`'s `spin`) under a 200 ms
 *   timeout: how long until the caller gets `timeout`, and until the next call is served;
 * - an allocation bomb (`alloc`) under a 64 MB cap: time until `memory-limit`, and the host
 *   process's peak RSS meanwhile (sampled every 2 ms; worker threads are in the same process).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, silentLogSink, type Plugin } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const WARMUP = 500;
const CALLS = 5000;
const TIMEOUT_RUNS = 5;
const ISOLATED_GOAL_US = 50;
const TIMEOUT_GOAL_MS = 220;
const INPUT = { id: 42, ok: true, tags: ['a', 'b'] };

export interface SandboxFigures {
  inProcess: { p50: number; p90: number };
  isolated: { p50: number; p90: number };
  ratio: number;
  timeout: { limitMs: number; p50Ms: number; maxMs: number; nextCallMs: number };
  allocBomb: { capMb: number; stoppedMs: number; code: string; rssBeforeMb: number; rssPeakMb: number };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function callStats(plugin: Plugin): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < WARMUP; i++) await plugin.exec('echo', INPUT);
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await plugin.exec('echo', INPUT);
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9) };
}

async function failure(p: Promise<unknown>): Promise<{ code: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string };
  }
  throw new Error('expected the call to fail');
}

export async function benchSandbox(tmp: string): Promise<SandboxFigures> {
  const cacheDir = join(tmp, 'cache');
  const echoWasm = join(tmp, 'bench-c.wasm');
  const adversary = join(tmp, 'sandbox-ts.wasm');
  await buildPlugin(join(ROOT, 'test', 'fixtures', 'bench-c'), { out: echoWasm });
  await buildPlugin(join(ROOT, 'test', 'fixtures', 'sandbox-ts'), { out: adversary });

  // Interleaved: in-process, isolated, in-process, isolated; the better of each counts.
  const inProc = await loadPlugin(echoWasm, { cacheDir, log: silentLogSink, isolation: 'in-process' });
  const isolated = await loadPlugin(echoWasm, { cacheDir, log: silentLogSink, pool: 1 });
  const a1 = await callStats(inProc);
  const b1 = await callStats(isolated);
  const a2 = await callStats(inProc);
  const b2 = await callStats(isolated);
  await inProc.close();
  await isolated.close();
  const inProcess = a1.p50 <= a2.p50 ? a1 : a2;
  const iso = b1.p50 <= b2.p50 ? b1 : b2;

  const spinner = await loadPlugin(adversary, { cacheDir, log: silentLogSink, pool: 1, permissions: { timeout: 200 } });
  const waits: number[] = [];
  let nextCallMs = 0;
  for (let i = 0; i < TIMEOUT_RUNS; i++) {
    const t = performance.now();
    const err = await failure(spinner.exec('spin', {}));
    waits.push(performance.now() - t);
    if (err.code !== 'timeout') throw new Error(`spin failed with ${err.code}, not timeout`);
    const n = performance.now();
    await spinner.exec('echo', { after: i });
    nextCallMs = Math.max(nextCallMs, performance.now() - n);
  }
  await spinner.close();
  waits.sort((x, y) => x - y);

  const bomb = await loadPlugin(adversary, { cacheDir, log: silentLogSink, pool: 1, permissions: { memory: '64MB' } });
  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  const t = performance.now();
  const err = await failure(bomb.exec('alloc', {}));
  const stoppedMs = performance.now() - t;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  await bomb.exec('echo', { after: 'alloc' });
  await bomb.close();

  return {
    inProcess,
    isolated: iso,
    ratio: iso.p50 / inProcess.p50,
    timeout: { limitMs: 200, p50Ms: quantile(waits, 0.5), maxMs: waits[waits.length - 1]!, nextCallMs },
    allocBomb: { capMb: 64, stoppedMs, code: err.code, rssBeforeMb: rssBefore / 1024 / 1024, rssPeakMb: peak / 1024 / 1024 },
  };
}

export function formatSandbox(f: SandboxFigures): string {
  const us = (n: number): string => `${n.toFixed(1)} µs`;
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  return [
    '',
    'Sandbox (test/fixtures/bench-c echo; test/fixtures/sandbox-ts spin and alloc)',
    `  call, in-process (no isolation)   p50 ${us(f.inProcess.p50)}   p90 ${us(f.inProcess.p90)}`,
    `  call, isolated (worker thread)    p50 ${us(f.isolated.p50)}   p90 ${us(f.isolated.p90)}   goal < ${ISOLATED_GOAL_US} µs: ${f.isolated.p50 < ISOLATED_GOAL_US ? 'met' : 'NOT met'}`,
    `  isolated / in-process             ${f.ratio.toFixed(2)}x   (+${us(f.isolated.p50 - f.inProcess.p50)} per call)`,
    `  busy loop, ${f.timeout.limitMs} ms timeout       caller gets timeout after p50 ${ms(f.timeout.p50Ms)}, max ${ms(f.timeout.maxMs)} (${TIMEOUT_RUNS} runs)   goal < ${TIMEOUT_GOAL_MS} ms: ${f.timeout.maxMs < TIMEOUT_GOAL_MS ? 'met' : 'NOT met'}`,
    `  next call after a timeout         ${ms(f.timeout.nextCallMs)} (worst; a fresh worker and instance)`,
    `  allocation bomb, ${f.allocBomb.capMb} MB cap        ${f.allocBomb.code} after ${ms(f.allocBomb.stoppedMs)}; host RSS ${f.allocBomb.rssBeforeMb.toFixed(0)} MB before, peak ${f.allocBomb.rssPeakMb.toFixed(0)} MB`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-bench-sandbox-'));
  try {
    const figures = await benchSandbox(tmp);
    process.stdout.write(formatSandbox(figures));
    process.stdout.write(`BENCH_SANDBOX_JSON ${JSON.stringify(figures)}\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
