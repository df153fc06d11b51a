/**
 * The attacks section of `npm run bench` (the last one; also `npx tsx scripts/bench-attacks.ts`
 * alone): what the attacks of test/adversarial.test.ts cost the host, measured.
 *
 * - Per attack, in a fresh host process each (so every figure starts from the same baseline):
 *   the longest event-loop block while it runs (`monitorEventLoopDelay` and a 5 ms heartbeat),
 *   the host process's RSS before it and its peak during it (sampled every 2 ms; the plugin's
 *   worker threads are in the same process), how long until the caller had its answer, the code.
 *   The bombs: an allocation bomb per language (64 MB cap), an HTTP body bomb (an endless body
 *   from a local 127.0.0.1 server, run by this process: how much the host read is counted), a log
 *   flood, a store flood; and the other attacks of the catalogue that move data: a 17 MB output,
 *   a 10 MB error, a forged Go frame, a stdout flood, a gzip bomb, a 100 MB custom section.
 * - Timeout overshoot per language: a busy loop under a 200 ms timeout, TIMEOUT_RUNS times: p50
 *   and max of the time until the caller gets `timeout` (TypeScript, Rust, Go, C).
 *
 * Fixtures: test/fixtures/sandbox-ts, sandbox-ts-caps, hostile-rust, sandbox-c, hostile-go.
 * Prints a table and a `BENCH_ATTACKS_JSON {...}` line.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create } from 'tar';
import { appendCustomSection } from '../host/src/component-sections.js';
import { loadPlugin, silentLogSink, withUnpackedArchive, type LoadOptions, type Plugin } from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;
const TIMEOUT_MS = 200;
const TIMEOUT_RUNS = 7;
const CHILD_TIMEOUT_MS = 3 * 60_000;

const FIXTURES = { ts: 'sandbox-ts', caps: 'sandbox-ts-caps', rust: 'hostile-rust', c: 'sandbox-c', go: 'hostile-go' } as const;
type FixtureKey = keyof typeof FIXTURES;
type Files = Partial<Record<FixtureKey, string>>;

interface Context {
  files: Files;
  /** The endless-body server's URL (run by the parent process). */
  bombUrl: string;
  tmp: string;
}

interface AttackSpec {
  id: string;
  language: 'TypeScript' | 'Rust' | 'Go' | 'C' | 'archive' | 'file';
  what: string;
  /** The plugin it runs on (none for archives and files). */
  plugin?: FixtureKey;
  options?: LoadOptions;
  /** Made before the clock starts. */
  prepare?: (ctx: Context) => Promise<() => Promise<unknown>>;
  run?: (p: Plugin, ctx: Context) => Promise<unknown>;
}

const fixtureDir = (key: FixtureKey): string => join(ROOT, 'test', 'fixtures', FIXTURES[key]);
const CAP = { permissions: { memory: '64MB' } };

export const ATTACKS: AttackSpec[] = [
  { id: 'ts-alloc', language: 'TypeScript', what: 'allocation bomb (64 MB cap)', plugin: 'ts', options: CAP, run: (p) => p.exec('alloc', {}) },
  { id: 'rust-alloc', language: 'Rust', what: 'allocation bomb (64 MB cap)', plugin: 'rust', options: CAP, run: (p) => p.exec('alloc', {}) },
  { id: 'go-alloc', language: 'Go', what: 'allocation bomb (64 MB cap)', plugin: 'go', options: CAP, run: (p) => p.exec('alloc-bomb', {}) },
  { id: 'c-alloc', language: 'C', what: 'allocation bomb (64 MB cap)', plugin: 'c', options: { ...CAP, baseDir: fixtureDir('c') }, run: (p) => p.exec('alloc', { chunk_mb: 4 }) },
  {
    id: 'ts-http-bomb',
    language: 'TypeScript',
    what: 'HTTP body bomb (endless body, 127.0.0.1)',
    plugin: 'caps',
    options: { baseDir: fixtureDir('caps') },
    run: (p, ctx) => p.exec('fetch', { url: `${ctx.bombUrl}/bomb` }),
  },
  { id: 'rust-log-flood', language: 'Rust', what: 'log flood (200,000 records)', plugin: 'rust', run: (p) => p.exec('log-flood', { records: 200_000 }) },
  { id: 'go-log-flood', language: 'Go', what: 'log flood (10,000 records)', plugin: 'go', run: (p) => p.exec('log-flood', { n: 10_000 }) },
  { id: 'rust-store-flood', language: 'Rust', what: 'store flood (100 MB set in one call)', plugin: 'rust', run: (p) => p.runNode('store-flood', { input: { mb: 100 } }) },
  { id: 'rust-big-output', language: 'Rust', what: 'output of 17 MB (limit 16 MB)', plugin: 'rust', run: (p) => p.exec('big-output', { mb: 17 }) },
  { id: 'rust-huge-error', language: 'Rust', what: 'error message of 10 MB', plugin: 'rust', run: (p) => p.exec('huge-error', { message_mb: 10 }) },
  { id: 'go-frame', language: 'Go', what: 'forged frame header claiming 2 GB', plugin: 'go', run: (p) => p.exec('frame-header', { bytes: 2 ** 31 }) },
  { id: 'go-stderr-flood', language: 'Go', what: 'stderr flood (100,000 lines)', plugin: 'go', run: (p) => p.exec('stderr-lines', { n: 100_000 }) },
  { id: 'c-stdout-flood', language: 'C', what: 'stdout flood (50,000 lines)', plugin: 'c', options: { baseDir: fixtureDir('c') }, run: (p) => p.exec('print', { lines: 50_000, stream: 'stdout' }) },
  {
    id: 'archive-gzip-bomb',
    language: 'archive',
    what: 'gzip bomb (100 MB of zeros), unpacked',
    prepare: async (ctx) => {
      const stage = join(ctx.tmp, 'gzip-bomb');
      mkdirSync(join(stage, 'package'), { recursive: true });
      writeFileSync(join(stage, 'package', 'manifest.yaml'), 'name: bomb\nversion: 1.0.0\n');
      writeFileSync(join(stage, 'package', 'zeros.bin'), Buffer.alloc(100 * MB));
      const file = join(ctx.tmp, 'gzip-bomb.tgz');
      await create({ gzip: true, file, cwd: stage, portable: true }, ['package']);
      return () => withUnpackedArchive(file, async () => 'unpacked');
    },
  },
  {
    id: 'file-huge-section',
    language: 'file',
    what: 'component with a 100 MB custom section, loaded',
    prepare: async (ctx) => {
      const bytes = appendCustomSection(new Uint8Array(readFileSync(ctx.files.rust!)), 'junk', new Uint8Array(100 * MB).fill(0x4a));
      return async () => {
        const p = await loadPlugin(bytes, { cacheDir: join(ctx.tmp, 'cache'), log: silentLogSink, pool: 1 });
        await p.close();
        return 'loaded';
      };
    },
  },
];

const SPINNERS: { language: string; plugin: FixtureKey; node: string; options?: LoadOptions }[] = [
  { language: 'TypeScript', plugin: 'ts', node: 'spin' },
  { language: 'Rust', plugin: 'rust', node: 'spin' },
  { language: 'Go', plugin: 'go', node: 'busy' },
  { language: 'C', plugin: 'c', node: 'spin', options: { baseDir: fixtureDir('c') } },
];

export interface AttackFigure {
  id: string;
  language: string;
  what: string;
  code: string;
  ms: number;
  loopMaxMs: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  /** The next call (echo) was served. */
  nextServed: boolean;
  /** HTTP body bomb: bytes the server could send before the host stopped reading. */
  bodySentMb?: number;
  error?: string;
}

export interface OvershootFigure {
  language: string;
  limitMs: number;
  runs: number[];
  /** Worker starts that ran out of the 200 ms themselves (retried, not timed). */
  failedStarts: number;
  p50Ms: number;
  maxMs: number;
  error?: string;
}

export interface AttackBench {
  attacks: AttackFigure[];
  timeout: OvershootFigure[];
}

// ---- the child: one attack in a fresh host process ------------------------------------------

async function load(key: FixtureKey, ctx: Context, options: LoadOptions = {}): Promise<Plugin> {
  const file = ctx.files[key];
  if (!file) throw new Error(`${FIXTURES[key]} did not build`);
  return loadPlugin(file, { cacheDir: join(ctx.tmp, 'cache'), log: silentLogSink, pool: 1, ...options });
}

async function runAttack(spec: AttackSpec, ctx: Context): Promise<Omit<AttackFigure, 'id' | 'language' | 'what' | 'bodySentMb'>> {
  const plugin = spec.plugin ? await load(spec.plugin, ctx, spec.options) : undefined;
  if (plugin) await plugin.exec('echo', { warm: true });
  const attack = spec.prepare ? await spec.prepare(ctx) : () => spec.run!(plugin!, ctx);
  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let last = performance.now();
  let gap = 0;
  const beat = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  let code = 'ok';
  try {
    await attack();
  } catch (err) {
    code = (err as { code?: string }).code ?? String(err);
  }
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 15));
  clearInterval(beat);
  clearInterval(sampler);
  histogram.disable();
  peak = Math.max(peak, process.memoryUsage.rss());
  let nextServed = true;
  if (plugin) {
    try {
      await plugin.exec('echo', { after: spec.id });
    } catch {
      nextServed = false;
    }
    await plugin.close();
  }
  return { code, ms, loopMaxMs: Math.max(histogram.max / 1e6, gap - 5), rssBeforeMb: rssBefore / MB, rssPeakMb: peak / MB, nextServed };
}

/**
 * The timeout bounds a worker's start too, and a fresh worker starts after every kill: under a
 * 200 ms limit a start can itself run out of time on a busy machine (the Go runtime needs a few
 * hundred ms). Such starts are retried and counted; only the busy calls are timed.
 */
const START_ATTEMPTS = 10;

async function retried<T>(what: string, fn: () => Promise<T>, failed: { starts: number }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'timeout' || attempt >= START_ATTEMPTS) throw new Error(`${what}: ${(err as Error).message}`);
      failed.starts++;
    }
  }
}

async function runOvershoot(spinner: (typeof SPINNERS)[number], ctx: Context): Promise<{ runs: number[]; failedStarts: number }> {
  const failed = { starts: 0 };
  const plugin = await retried(`loading ${FIXTURES[spinner.plugin]}`, () => load(spinner.plugin, ctx, { ...spinner.options, permissions: { timeout: TIMEOUT_MS } }), failed);
  const runs: number[] = [];
  try {
    await retried('the first call', () => plugin.exec('echo', { warm: true }), failed);
    for (let i = 0; i < TIMEOUT_RUNS; i++) {
      const t = performance.now();
      const code = await plugin.exec(spinner.node, {}).then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? 'error',
      );
      runs.push(performance.now() - t);
      if (code !== 'timeout') throw new Error(`${spinner.language} ${spinner.node} ended with ${code}, not timeout`);
      // A fresh worker serves the next call: it is up before the next run is timed.
      await retried('the call after a timeout', () => plugin.exec('echo', { after: i }), failed);
    }
  } finally {
    await plugin.close();
  }
  return { runs, failedStarts: failed.starts };
}

async function childMain(kind: string, id: string, ctxJson: string): Promise<void> {
  const ctx = JSON.parse(ctxJson) as Context;
  let out: unknown;
  if (kind === 'attack') {
    const spec = ATTACKS.find((a) => a.id === id)!;
    out = await runAttack(spec, ctx);
  } else {
    out = await runOvershoot(SPINNERS.find((s) => s.language === id)!, ctx);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---- the parent -------------------------------------------------------------------------------

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function child<T>(kind: 'attack' | 'overshoot', id: string, ctx: Context): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, `--${kind}`, id, JSON.stringify(ctx)], {
    cwd: ROOT,
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 16 * MB,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as T;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const message = (err: unknown): string => {
  const e = err as Error & { stderr?: string };
  return (e.stderr?.trim() || e.message).split('\n').slice(-6).join(' | ');
};

/** The endless body: 64 KB chunks, back-pressure honoured, up to 1 GB; counts what it sent. */
async function bombServer(): Promise<{ server: Server; url: string; sent: () => number; reset: () => void }> {
  let sent = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const pump = (): void => {
      while (sent < 1024 * MB && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent, reset: () => void (sent = 0) };
}

export async function benchAttacks(parent: string): Promise<AttackBench> {
  const tmp = join(parent, 'attacks');
  mkdirSync(tmp, { recursive: true });
  const files: Files = {};
  for (const key of Object.keys(FIXTURES) as FixtureKey[]) {
    progress(`attacks: building ${FIXTURES[key]}`);
    try {
      files[key] = (await buildPlugin(fixtureDir(key), { out: join(tmp, `${FIXTURES[key]}.wasm`) })).out;
    } catch (err) {
      progress(`attacks: ${FIXTURES[key]} did not build (${message(err)}); its attacks are left out`);
    }
  }
  const bomb = await bombServer();
  const ctx: Context = { files, bombUrl: bomb.url, tmp };
  // Every child then finds its plugin transpiled: the RSS baselines do not include jco's work.
  for (const key of Object.keys(files) as FixtureKey[]) {
    try {
      await (await load(key, ctx, key === 'c' || key === 'caps' ? { baseDir: fixtureDir(key) } : {})).close();
    } catch (err) {
      progress(`attacks: ${FIXTURES[key]} did not load (${message(err)})`);
    }
  }
  const attacks: AttackFigure[] = [];
  try {
    for (const spec of ATTACKS) {
      progress(`attacks: ${spec.language} ${spec.what}`);
      const head = { id: spec.id, language: spec.language, what: spec.what };
      bomb.reset();
      try {
        const figure: AttackFigure = { ...head, ...(await child<Omit<AttackFigure, 'id' | 'language' | 'what'>>('attack', spec.id, ctx)) };
        if (spec.id === 'ts-http-bomb') figure.bodySentMb = bomb.sent() / MB;
        attacks.push(figure);
      } catch (err) {
        attacks.push({ ...head, code: 'bench failed', ms: NaN, loopMaxMs: NaN, rssBeforeMb: NaN, rssPeakMb: NaN, nextServed: false, error: message(err) });
      }
    }
  } finally {
    bomb.server.closeAllConnections();
    bomb.server.close();
  }
  const timeout: OvershootFigure[] = [];
  for (const spinner of SPINNERS) {
    progress(`attacks: ${spinner.language} busy loop under a ${TIMEOUT_MS} ms timeout, ${TIMEOUT_RUNS} runs`);
    try {
      const { runs, failedStarts } = await child<{ runs: number[]; failedStarts: number }>('overshoot', spinner.language, ctx);
      const sorted = [...runs].sort((a, b) => a - b);
      timeout.push({ language: spinner.language, limitMs: TIMEOUT_MS, runs, failedStarts, p50Ms: quantile(sorted, 0.5), maxMs: sorted.at(-1)! });
    } catch (err) {
      timeout.push({ language: spinner.language, limitMs: TIMEOUT_MS, runs: [], failedStarts: NaN, p50Ms: NaN, maxMs: NaN, error: message(err) });
    }
  }
  return { attacks, timeout };
}

export function formatAttacks(f: AttackBench): string {
  const n = (x: number, w = 8): string => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(w);
  const lines = [
    '',
    'Attacks (test/adversarial.test.ts; each in a fresh host process)',
    `  ${'language'.padEnd(11)}${'attack'.padEnd(48)}${'answer'.padEnd(18)}${'ms'.padStart(8)}${'loop ms'.padStart(8)}${'RSS MB'.padStart(8)}${'peak MB'.padStart(8)}  next call`,
    ...f.attacks.map(
      (a) =>
        `  ${a.language.padEnd(11)}${a.what.padEnd(48)}${a.code.padEnd(18)}${n(a.ms)}${n(a.loopMaxMs)}${n(a.rssBeforeMb)}${n(a.rssPeakMb)}  ${a.error ? `failed: ${a.error}` : a.nextServed ? 'served' : 'NOT served'}${
          a.bodySentMb !== undefined ? `  (server sent ${a.bodySentMb.toFixed(0)} MB before the host stopped reading)` : ''
        }`,
    ),
    `  longest event-loop block: ${Math.max(...f.attacks.map((a) => a.loopMaxMs).filter(Number.isFinite)).toFixed(0)} ms`,
    `Timeout overshoot: a busy loop under a ${TIMEOUT_MS} ms timeout, ${TIMEOUT_RUNS} runs: time until the caller gets \`timeout\``,
    ...f.timeout.map((t) =>
      t.error
        ? `  ${t.language.padEnd(11)}failed: ${t.error}`
        : `  ${t.language.padEnd(11)}p50 ${t.p50Ms.toFixed(1)} ms (+${(t.p50Ms - t.limitMs).toFixed(1)})   max ${t.maxMs.toFixed(1)} ms (+${(t.maxMs - t.limitMs).toFixed(1)})${
            t.failedStarts > 0 ? `   (${t.failedStarts} worker start(s) ran out of the ${t.limitMs} ms themselves; retried)` : ''
          }`,
    ),
    '',
  ];
  return lines.join('\n');
}

const [flag, id, ctxJson] = process.argv.slice(2);
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (flag === '--attack' || flag === '--overshoot') {
    await childMain(flag.slice(2), id!, ctxJson!);
    // Leave at once: a killed worker or an open handle must not hold the child.
    process.exit(0);
  }
  const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-bench-attacks-'));
  try {
    const figures = await benchAttacks(tmp);
    process.stdout.write(formatAttacks(figures));
    process.stdout.write(`BENCH_ATTACKS_JSON ${JSON.stringify(figures)}\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  process.exit(0);
}
