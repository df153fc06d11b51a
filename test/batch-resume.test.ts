/**
 * Resumable batches through the real binary and a real plugin: results reach --out as items
 * finish, a batch SIGKILLed half-way and resumed with --resume gives the same file byte for byte
 * as an uninterrupted run (with a torn last line repaired), --resume refuses an out file of
 * another batch file, and repeats nothing when everything is recorded.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_DIR, CLI, ROOT, runCli, tempDir, type CliResult } from './helpers.js';

const work = tempDir('pocket-wit-resume-');
/** The project: built once if its dist/ is stale, then loaded from there. */
const plugins = join(ROOT, 'examples/sentiment-analyzer');
const PIPELINE = join(ROOT, 'examples/workflows/review-pipeline.yaml');
const ENV = { POCKET_HOME: tempDir('pocket-wit-resume-home-'), POCKET_PLUGIN_PATH: '' };

/** 300 reviews, with blank lines, two lines that are not JSON and one review without text. */
const ITEMS = 300;
const input = join(work, 'reviews.jsonl');
const reference = join(work, 'reference.jsonl');
let refText = '';
let inputLines = 0; // non-blank lines: one result each

function batchLines(): string[] {
  const reviews = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as { text: string }[];
  const lines: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    lines.push(JSON.stringify({ id: `r${i}`, text: reviews[i % reviews.length]!.text }));
    if (i === 10 || i === 200) lines.push('');
    if (i === 40) lines.push('{"id":"r40b", oops');
    if (i === 170) lines.push('not json');
    if (i === 230) lines.push('{"id":"no-text"}');
  }
  return lines;
}

function args(out: string, extra: string[] = [], batch = input): string[] {
  return ['flow', PIPELINE, '--plugins', plugins, '--batch', batch, '--out', out, ...extra];
}

const completeLines = (text: string): number => text.split('\n').length - 1;

/** Start a batch, SIGKILL it once its out file holds about half the results; the file then. */
async function killHalfway(out: string, extra: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args(out, extra)], {
    cwd: ROOT,
    env: { ...process.env, POCKET_WIT_CACHE: CACHE_DIR, CI: '1', ...ENV },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) assert.unreachable(`the batch ended (exit ${exitCode}) before it was killed:\n${stderr}`);
    if (existsSync(out) && completeLines(readFileSync(out, 'utf8')) >= inputLines / 2) break;
    await sleep(5);
  }
  child.kill('SIGKILL');
  await exited;
  const text = readFileSync(out, 'utf8');
  const recorded = completeLines(text);
  assert.ok(recorded >= inputLines / 2 && recorded < inputLines, `killed half-way: ${recorded} of ${inputLines} results recorded`);
  // What was written is exactly the start of the uninterrupted run's file: results go out in input order.
  assert.ok(refText.startsWith(text), 'the killed run wrote a prefix of the reference file');
  return text;
}

test.before(async () => {
  const check = await runCli(['flow', PIPELINE, '--plugins', plugins, '--check'], { env: ENV });
  assert.is(check.code, 0, check.stderr);
  const lines = batchLines();
  inputLines = lines.filter((l) => l.trim()).length;
  writeFileSync(input, `${lines.join('\n')}\n`);
});

test('an uninterrupted run: one result per non-blank line, in input order (the reference)', async () => {
  const r = await runCli(args(reference), { env: ENV });
  assert.is(r.code, 1, r.stderr); // three lines fail
  assert.match(r.stdout, new RegExp(`^batch: ${inputLines - 3} ok, 3 failed of ${inputLines} inputs in [\\d.]+ s \\(concurrency 1\\) → `));
  assert.not.match(r.stderr, /--resume/, 'a fresh out file gets no note');
  refText = readFileSync(reference, 'utf8');
  const records = refText.trim().split('\n').map((l) => JSON.parse(l) as { line: number; ok: boolean });
  assert.is(records.length, inputLines);
  assert.ok(records.every((rec, i) => i === 0 || rec.line > records[i - 1]!.line), 'in input order');
  assert.is(records.filter((rec) => !rec.ok).length, 3);
});

test('killed half-way (SIGKILL), then --resume: the same file, byte for byte; nothing run twice', async () => {
  const out = join(work, 'killed.jsonl');
  const killed = await killHalfway(out, []);
  const recorded = completeLines(killed);
  const torn = !killed.endsWith('\n'); // a kill in the middle of a write: resume drops the piece
  const r = await runCli(args(out, ['--resume']), { env: ENV });
  assert.is(r.code, 1, r.stderr); // failures anywhere in the file count
  assert.match(r.stderr, new RegExp(`resume: ${recorded} of ${inputLines} inputs already recorded in .*killed\\.jsonl; running the other ${inputLines - recorded}\\n`));
  if (!torn) assert.not.match(r.stderr, /incomplete last line/);
  assert.match(r.stdout, new RegExp(`^batch: ${inputLines - 3} ok, 3 failed of ${inputLines} inputs \\(resumed: ${recorded} already recorded\\) in [\\d.]+ s \\(concurrency 1\\) → `));
  // Counted over the whole file, resumed lines included; the code is the failures' own (or plugin-error with a count per code).
  assert.match(r.stderr, new RegExp(`error\\[[a-z-]+\\]: 3 of ${inputLines} inputs failed( \\([^)]*\\))?; each failure is recorded in `));
  assert.fixture(readFileSync(out, 'utf8'), refText);
});

test('--concurrency 2: killed half-way, a torn last line added by hand, --resume repairs it and finishes', async () => {
  const out = join(work, 'killed-2.jsonl');
  let text = await killHalfway(out, ['--concurrency', '2']);
  if (text.endsWith('\n')) {
    // Half of the next result, as a kill in the middle of its write would leave it.
    const next = refText.slice(text.length, refText.indexOf('\n', text.length) + 1);
    appendFileSync(out, next.slice(0, Math.floor(next.length / 2)));
    text = readFileSync(out, 'utf8');
  }
  const recorded = completeLines(text);
  const tornBytes = Buffer.byteLength(text.slice(text.lastIndexOf('\n') + 1));
  const r = await runCli(args(out, ['--resume', '--concurrency', '2', '--json']), { env: ENV });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`resume: dropping the incomplete last line of .*killed-2\\.jsonl \\(${tornBytes} bytes, a result cut off mid-write\\)\\n`));
  assert.match(r.stderr, new RegExp(`resume: ${recorded} of ${inputLines} inputs already recorded`));
  const summary = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
  assert.equal({ ...summary, seconds: 0 }, { inputs: inputLines, ok: inputLines - 3, failed: 3, retried: 0, resumed: recorded, out, seconds: 0, concurrency: 2 });
  assert.fixture(readFileSync(out, 'utf8'), refText);
});

test('--resume with everything recorded runs nothing and leaves the file alone; the exit status counts the whole file', async () => {
  const out = join(work, 'complete.jsonl');
  copyFileSync(reference, out);
  const before = statSync(out).mtimeMs;
  await sleep(20);
  const r = await runCli(args(out, ['--resume', '--json']), { env: ENV });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`resume: all ${inputLines} inputs of .*reviews\\.jsonl are already recorded in .*complete\\.jsonl; nothing to run\\n`));
  assert.not.match(r.stderr, /grant |reloaded|running the other/);
  const summary = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
  assert.equal({ ...summary, seconds: 0 }, { inputs: inputLines, ok: inputLines - 3, failed: 3, retried: 0, resumed: inputLines, out, seconds: 0, concurrency: 1 });
  assert.is(readFileSync(out, 'utf8'), refText);
  assert.is(statSync(out).mtimeMs, before, 'not even rewritten');
});

test('--resume with the out file of another batch file: a clear error, exit 1, the out file untouched', async () => {
  const out = join(work, 'other.jsonl');
  const partial = refText.split('\n').slice(0, 100).join('\n') + '\n';
  writeFileSync(out, partial);
  // The same inputs one line further down: every result's line number is off by one.
  const shifted = join(work, 'shifted.jsonl');
  writeFileSync(shifted, `\n${readFileSync(input, 'utf8')}`);
  const r = await runCli(args(out, ['--resume'], shifted), { env: ENV });
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /error\[invalid-input\]: --resume: .*other\.jsonl was written for a different batch file than .*shifted\.jsonl: its result 1 is for line 1, but input 1 of .*shifted\.jsonl is on line 2\. Use a fresh --out, or drop --resume to start over \(overwriting .*other\.jsonl\)/);
  assert.is(readFileSync(out, 'utf8'), partial);

  // Fewer inputs than the out file records.
  const short = join(work, 'short.jsonl');
  writeFileSync(short, `${batchLines().slice(0, 5).join('\n')}\n`);
  const s = await runCli(args(out, ['--resume'], short), { env: ENV });
  assert.is(s.code, 1);
  assert.match(s.stderr, /its result 6 is for line 6, but .*short\.jsonl has only 5 inputs \(the last on line 5\)/);
  assert.is(readFileSync(out, 'utf8'), partial);

  // Not a results file at all.
  const notes = join(work, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  const n = await runCli(args(notes, ['--resume']), { env: ENV });
  assert.is(n.code, 1);
  assert.match(n.stderr, /error\[invalid-input\]: --resume: .*notes\.txt is not a batch results file: its line 1 is not a result record/);
  assert.is(readFileSync(notes, 'utf8'), 'my notes\n');
});

test('--resume without an out file starts from the first input; without --resume an existing out file is overwritten, with a note', async () => {
  const small = join(work, 'small.jsonl');
  writeFileSync(small, `${batchLines().slice(0, 4).join('\n')}\n`);
  const out = join(work, 'small-out.jsonl');
  const first: CliResult = await runCli(args(out, ['--resume'], small), { env: ENV });
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stderr, /resume: there is no .*small-out\.jsonl yet; starting from the first input\n/);
  assert.match(first.stdout, /^batch: 4 ok, 0 failed of 4 inputs \(resumed: 0 already recorded\) in /);
  const text = readFileSync(out, 'utf8');
  assert.is(text, refText.split('\n').slice(0, 4).join('\n') + '\n');
  const again = await runCli(args(out, [], small), { env: ENV });
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stderr, /note: .*small-out\.jsonl already holds results; this run overwrites them \(--resume would continue it instead\)\n/);
  assert.match(again.stdout, /^batch: 4 ok, 0 failed of 4 inputs in /);
  assert.is(readFileSync(out, 'utf8'), text);
});

test('--resume goes with --batch', async () => {
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--input', '{"id":"x","text":"ok"}', '--resume'], { env: ENV });
  assert.is(r.code, 2);
  assert.match(r.stderr, /error\[usage\]: --resume goes with --batch and --out/);
});

test.run();
