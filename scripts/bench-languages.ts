/**
 * The languages section of `npm run bench` (also `npm run bench:languages` alone): the same two
 * nodes written in TypeScript, Rust, Go and C (`test/fixtures/bench-<lang>`), side by side in one
 * run — component size, build time, cold load (fresh process, empty transpile cache) and warm
 * call p50 of a trivial node (tiny JSON in and out) and of the reference word count on a 10 KB
 * text. Every language must return the same results; a difference fails the bench.
 *
 * Then the tail latency of each language's example plugin (scripts/bench-tail.ts): p50, p90 and
 * p99 of 2,000 warm sequential `runNode` calls, sandboxed and in-process, with p90/p50 and
 * p99/p50 (in the JSON line as each language's `tail`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import type { CallStats } from './bench-load.js';
import { buildPlugin } from '../tools/build/build.js';
import { benchTail, formatTail, type TailFigures } from './bench-tail.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CHILD = join(ROOT, 'scripts', 'bench-load.ts');
export const LANGUAGES = ['ts', 'rust', 'go', 'c'] as const;
type Lang = (typeof LANGUAGES)[number];
const LABEL: Record<Lang, string> = { ts: 'TypeScript (QuickJS)', rust: 'Rust', go: 'Go', c: 'C' };
const WARMUP = 200;
const CALLS = 1000;
/** The word count is slower: fewer calls keep the section short. */
const WC_WARMUP = 20;
const WC_CALLS = 200;
const GO_GOAL_US = 1000;

const ECHO_INPUT = { id: 42, ok: true, tags: ['a', 'b'] };

/** About 10 KB of English text, the same every run. */
export function tenKbText(): string {
  const paragraph =
    'The quick brown fox jumps over the lazy dog while the patient otter watches from the river bank. ' +
    'Pocket workflows run plugins written in many languages, and every plugin answers with the same words, counted the same way. ' +
    'A small cat, a big dog and an old horse walked to the market to buy apples, bread, cheese and seventeen green peppers. ';
  let text = '';
  for (let i = 0; text.length < 10 * 1024; i++) text += `${paragraph}Section ${i} ends here. `;
  return text.slice(0, 10 * 1024);
}

interface LangFigures {
  lang: Lang;
  bytes: number;
  buildMs: number;
  coldLoadMs: number;
  echo: CallStats;
  wordCount: CallStats;
  /** Tail latency of the language's example plugin (scripts/bench-tail.ts). */
  tail?: TailFigures;
}

async function child<T>(args: string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as T;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`bench child ${args[0]} failed: ${(e.stderr?.trim() || e.message).split('\n').slice(0, 10).join('\n  ')}`);
  }
}

async function measure(lang: Lang, tmp: string, text: string, results: Map<string, unknown>): Promise<LangFigures> {
  const progress = (s: string): void => void process.stderr.write(`bench: ${LABEL[lang]}: ${s}\n`);
  progress('building');
  const t0 = performance.now();
  const built = await buildPlugin(join(ROOT, 'test', 'fixtures', `bench-${lang}`), { out: join(tmp, `bench-${lang}.wasm`) });
  const buildMs = performance.now() - t0;
  const cache = join(tmp, `cache-${lang}`);
  await mkdir(cache);
  progress('cold load');
  const cold = await child<{ loadMs: number; result: unknown }>(['load', built.out, cache, 'echo', JSON.stringify(ECHO_INPUT)]);
  progress(`${CALLS} echo calls`);
  const echo = await child<{ stats: CallStats; result: unknown }>(['calls', built.out, cache, 'echo', JSON.stringify(ECHO_INPUT), String(WARMUP), String(CALLS)]);
  progress(`${WC_CALLS} word counts of ${(text.length / 1024).toFixed(0)} KB`);
  const wc = await child<{ stats: CallStats; result: unknown }>(['calls', built.out, cache, 'word-count', JSON.stringify({ text }), String(WC_WARMUP), String(WC_CALLS)]);
  // The outputs must agree; the action (`next`) is each fixture's own routing.
  const outputOf = (r: unknown): unknown => (r as { output?: unknown } | null)?.output;
  for (const [what, result] of [
    ['echo', outputOf(echo.result)],
    ['word-count', outputOf(wc.result)],
  ] as const) {
    const first = results.get(what);
    if (first === undefined) results.set(what, result);
    else if (!isDeepStrictEqual(first, result)) {
      throw new Error(`${LABEL[lang]} ${what} returned ${JSON.stringify(result).slice(0, 300)}, unlike the languages before it: ${JSON.stringify(first).slice(0, 300)}`);
    }
  }
  return { lang, bytes: built.bytes.length, buildMs, coldLoadMs: cold.loadMs, echo: echo.stats, wordCount: wc.stats };
}

const size = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(0)} KB`);
const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);
const us = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${n.toFixed(0)} µs`);

export function formatLanguages(figures: LangFigures[]): string {
  const row = (label: string, cells: string[]): string => `  ${label.padEnd(30)}${cells.map((c) => c.padStart(22)).join('')}`;
  const go = figures.find((f) => f.lang === 'go');
  return [
    `Languages: the same echo and word-count nodes in each language (echo ${CALLS} calls, word count ${WC_CALLS}, after warmup; fresh process each)`,
    row('', figures.map((f) => LABEL[f.lang])),
    row('component size', figures.map((f) => size(f.bytes))),
    row('build', figures.map((f) => ms(f.buildMs))),
    row('cold load (empty cache)', figures.map((f) => ms(f.coldLoadMs))),
    row('echo, warm p50 (p90)', figures.map((f) => `${us(f.echo.p50Us)} (${us(f.echo.p90Us)})`)),
    row('word count 10 KB, p50 (p90)', figures.map((f) => `${us(f.wordCount.p50Us)} (${us(f.wordCount.p90Us)})`)),
    go ? `  Go warm call goal < ${us(GO_GOAL_US)}: echo p50 ${us(go.echo.p50Us)} — ${go.echo.p50Us < GO_GOAL_US ? 'met' : 'NOT met'}` : '  (no Go figures)',
    '  every language returned the same echo and word-count outputs',
    '',
    ...(figures.some((f) => f.tail) ? [formatTail(figures.flatMap((f) => (f.tail ? [f.tail] : [])))] : []),
  ].join('\n');
}

/** Build and measure every language; returns the figures (and prints nothing). */
export async function benchLanguages(tmp: string, langs: readonly Lang[] = LANGUAGES): Promise<LangFigures[]> {
  const text = tenKbText();
  const results = new Map<string, unknown>();
  const figures: LangFigures[] = [];
  for (const lang of langs) figures.push(await measure(lang, tmp, text, results));
  for (const f of figures) f.tail = (await benchTail(tmp, [f.lang]))[0];
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-bench-lang-'));
  const only = process.argv.slice(2).filter((a): a is Lang => (LANGUAGES as readonly string[]).includes(a));
  try {
    const figures = await benchLanguages(tmp, only.length ? only : LANGUAGES);
    process.stdout.write(formatLanguages(figures));
    process.stdout.write(`BENCH_LANGUAGES_JSON ${JSON.stringify(figures)}\n`);
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  process.exit();
}
