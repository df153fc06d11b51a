/**
 * Progress that is safe everywhere (issue #14): spinners and bars only on a terminal that can
 * redraw (canRedraw), plain lines otherwise. Long commands run under a pseudo-terminal that reports
 * 0 columns (util-linux `script`, as under CI log capturers and serial consoles) must finish with
 * bounded output and no cursor-up/clear-line codes; before the fix ora cleared an unbounded number
 * of lines there (validate and install never finished).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canRedraw, LineProgress, MIN_COLUMNS, PLAIN_PROGRESS_STEPS, progressBar, type ProgressBar } from '../tools/ui/terminal.js';
import { CACHE_DIR, CLI, ROOT, built, tempDir } from './helpers.js';

/** Output under the pty above this is a failure (and the command is stopped there). */
const MAX_BYTES = 64 * 1024;
/** A hard timeout per command: before the fix these never finished. */
const TIMEOUT_MS = 90_000;
/** Cursor up/down, erase line/display: what redrawing writes. Colours (`m`) are fine. */
const REDRAW = /\x1b\[\d*[ABJK]/;

const work = tempDir('pocket-wit-progress-');

// ---------------------------------------------------------------- the decision

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ TERM: 'xterm-256color', ...extra });

test('canRedraw: a TTY with a sane width, not CI, not TERM=dumb', () => {
  assert.ok(canRedraw({ isTTY: true, columns: 80 }, env()));
  assert.ok(canRedraw({ isTTY: true, columns: MIN_COLUMNS }, env()));
  assert.not.ok(canRedraw({ isTTY: true, columns: 0 }, env()), '0 columns');
  assert.not.ok(canRedraw({ isTTY: true }, env()), 'columns undefined');
  assert.not.ok(canRedraw({ isTTY: true, columns: Number.NaN }, env()), 'columns NaN');
  assert.not.ok(canRedraw({ isTTY: true, columns: Number.POSITIVE_INFINITY }, env()), 'columns Infinity');
  assert.not.ok(canRedraw({ isTTY: true, columns: MIN_COLUMNS - 1 }, env()), 'too narrow');
  assert.not.ok(canRedraw({ isTTY: false, columns: 80 }, env()), 'not a TTY');
  assert.not.ok(canRedraw({ columns: 80 }, env()), 'isTTY undefined (a pipe)');
  assert.not.ok(canRedraw({ isTTY: true, columns: 80 }, env({ CI: '1' })), 'CI');
  assert.not.ok(canRedraw({ isTTY: true, columns: 80 }, env({ CI: 'true' })), 'CI=true');
  assert.not.ok(canRedraw({ isTTY: true, columns: 80 }, env({ TERM: 'dumb' })), 'TERM=dumb');
  assert.ok(canRedraw({ isTTY: true, columns: 80 }, {}), 'TERM unset is not dumb');
});

function fakeStream(isTTY: boolean, columns: number | undefined): NodeJS.WriteStream & { written: string } {
  const s = { isTTY, columns, written: '', write: (chunk: string) => ((s.written += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { written: string };
}

test('LineProgress: at most one line per tenth, however many updates', () => {
  const stream = fakeStream(true, 0);
  const p = new LineProgress(stream, 'batch', 'inputs');
  const total = 100_000;
  p.start(total, 0, { failed: 0 });
  for (let i = 1; i <= total; i++) p.update(i, { failed: Math.floor(i / 1000) });
  p.stop();
  const lines = stream.written.trimEnd().split('\n');
  assert.is(lines.length, PLAIN_PROGRESS_STEPS);
  assert.match(lines[0]!, /^batch: 10000\/100000 inputs \(10%\), 10 failed, \d+(\.\d)? m?s$/);
  assert.match(lines.at(-1)!, /^batch: 100000\/100000 inputs \(100%\), 100 failed, /);
  assert.not.match(stream.written, REDRAW);
});

test('LineProgress: a small total, a resumed start, an empty batch', () => {
  const small = fakeStream(true, 0);
  const p = new LineProgress(small, 'batch', 'inputs');
  p.start(3, 0);
  for (let i = 1; i <= 3; i++) p.update(i);
  assert.is(small.written, small.written.split('\n').filter((l) => /^batch: [123]\/3 inputs/.test(l)).map((l) => `${l}\n`).join(''));
  assert.is(small.written.trimEnd().split('\n').length, 3);

  const resumed = fakeStream(true, 0);
  const r = new LineProgress(resumed, 'batch', 'inputs');
  r.start(10, 5, { failed: 1 });
  assert.match(resumed.written, /^batch: 5\/10 inputs \(50%\), 1 failed, /);
  r.update(5);
  assert.is(resumed.written.split('\n').length, 2, 'no second line for the same tenth');

  const empty = fakeStream(true, 0);
  const e = new LineProgress(empty, 'batch', 'inputs');
  e.start(0, 0);
  e.update(0);
  e.stop();
  assert.is(empty.written, '');
});

test('progressBar: the bar on a terminal that can redraw, lines on one that cannot, nothing on a pipe', () => {
  const drawn: ProgressBar = { start() {}, update() {}, stop() {} };
  const saved = { CI: process.env.CI, TERM: process.env.TERM };
  try {
    delete process.env.CI;
    process.env.TERM = 'xterm';
    assert.is(progressBar(fakeStream(true, 80), () => drawn, { label: 'batch', unit: 'inputs' }), drawn);
    assert.instance(progressBar(fakeStream(true, 0), () => drawn, { label: 'batch', unit: 'inputs' }), LineProgress);
    assert.is(progressBar(fakeStream(false, undefined), () => drawn, { label: 'batch', unit: 'inputs' }), undefined);
    process.env.TERM = 'dumb';
    assert.instance(progressBar(fakeStream(true, 80), () => drawn, { label: 'batch', unit: 'inputs' }), LineProgress);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

// ---------------------------------------------------------------- real commands under a pty

/** util-linux `script` (bsdutils, essential on Debian) gives a command a pseudo-terminal. */
const scriptProbe = spawnSync('script', ['--version'], { encoding: 'utf8' });
const noScript = scriptProbe.error
  ? `\`script\` is not installed (${scriptProbe.error.message}); on Debian it is in bsdutils, on Alpine util-linux-misc`
  : !/util-linux/.test(`${scriptProbe.stdout}${scriptProbe.stderr}`)
    ? `\`script\` is not util-linux's (${(scriptProbe.stdout || scriptProbe.stderr).trim()}); its -qfec options are needed`
    : undefined;

const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

interface PtyResult {
  code: number | null;
  output: Buffer;
  timedOut: boolean;
  overflowed: boolean;
  ms: number;
}

/**
 * Run the CLI under a pseudo-terminal of `cols` columns (`stty` inside it; `script` without a
 * controlling terminal makes it 0x0 anyway). `then` runs in the pty's shell after the CLI starts
 * (in the background), e.g. to resize it. Stopped at TIMEOUT_MS or MAX_BYTES of output.
 */
function underPty(args: string[], options: { cols?: number; then?: string; cwd?: string } = {}): Promise<PtyResult> {
  const cli = ['node', CLI, ...args].map(shellWord).join(' ');
  const size = `stty cols ${options.cols ?? 0} rows ${options.cols ? 24 : 0}`;
  const command = options.then ? `${size}; ${cli} & ${options.then}; wait $!` : `${size}; exec ${cli}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', POCKET_WIT_CACHE: CACHE_DIR, POCKET_PLUGIN_PATH: '', POCKET_HOME: join(work, 'home') };
  delete childEnv.CI; // the point is a terminal that is not CI
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd ?? ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let timedOut = false;
    let overflowed = false;
    const stop = (): void => {
      try {
        process.kill(-child.pid!, 'SIGTERM'); // script hangs up its session's command
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > MAX_BYTES * 16) {
        if (!overflowed) stop();
        overflowed = true;
        return;
      }
      chunks.push(d);
    });
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks), timedOut, overflowed, ms: performance.now() - started });
    });
  });
}

/** Finished in time, exit 0, bounded output without a redraw code. */
function bounded(what: string, r: PtyResult): string {
  const text = r.output.toString('utf8');
  const tail = text.slice(-600).replace(/\x1b/g, '\\e');
  assert.not.ok(r.timedOut, `${what} did not finish in ${TIMEOUT_MS} ms (${r.output.length} bytes so far): ${tail}`);
  assert.not.ok(r.overflowed, `${what} wrote more than ${MAX_BYTES * 16} bytes: ${tail}`);
  assert.is(r.code, 0, `${what} exit status: ${tail}`);
  assert.ok(r.output.length < MAX_BYTES, `${what} wrote ${r.output.length} bytes (limit ${MAX_BYTES})`);
  assert.not.match(text, REDRAW, `${what} wrote redraw codes: ${tail}`);
  return text.replaceAll('\r\n', '\n');
}

/** A copy of the sentiment example without its built component, so that `validate` builds it (for seconds). */
function freshCopy(name: string): string {
  const to = join(work, name);
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), to, { recursive: true, filter: (s) => !s.includes('/dist') });
  return to;
}

if (noScript) {
  test(`commands under a 0-column pty: SKIPPED, ${noScript}`, () => {
    console.log(`progress-tty: skipping the pseudo-terminal tests: ${noScript}`);
  });
} else {
  test('the pty really reports 0 columns (and 80 when asked)', async () => {
    const zero = await underPty(['--version']);
    assert.is(zero.code, 0);
    const probe = spawnSync('script', ['-qfec', 'stty cols 0 rows 0; stty size', '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.is(probe.stdout.trim(), '0 0');
  });

  test('validate under a 0-column pty: plain step lines, bounded, finishes', async () => {
    // A copy without its component: validate builds it (an up-to-date project is not rebuilt).
    const r = await underPty(['validate', freshCopy('sentiment-validate')]);
    const text = bounded('validate', r);
    assert.match(text, /^bundling TypeScript: done .*\(\d/m);
    assert.match(text, /^componentizing with quickjs: done /m);
    assert.match(text, /^ok: sentiment-analyzer 1\.0\.0 is valid/m);
  });

  test('flow --batch of 300 inputs under a 0-column pty: at most 10 progress lines', async () => {
    const plugins = join(work, 'plugins');
    mkdirSync(plugins, { recursive: true });
    copyFileSync(await built('examples/sentiment-analyzer'), join(plugins, 'sentiment-analyzer.wasm'));
    const input = join(work, 'batch.jsonl');
    const out = join(work, 'batch-out.jsonl');
    const texts = ['Great boots, love them', 'awful, broke in a week', 'it is ok'];
    writeFileSync(input, `${Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `r${i}`, text: texts[i % 3] })).join('\n')}\n`);
    const r = await underPty(['flow', join(ROOT, 'examples/workflows/review-pipeline.yaml'), '--plugins', plugins, '--batch', input, '--out', out, '--concurrency', '2']);
    const text = bounded('flow --batch', r);
    const progress = text.split('\n').filter((l) => /^batch: \d+\/300 inputs/.test(l));
    assert.ok(progress.length >= 1 && progress.length <= PLAIN_PROGRESS_STEPS, `progress lines:\n${progress.join('\n')}`);
    assert.match(progress.at(-1)!, /^batch: 300\/300 inputs \(100%\), 0 failed, /);
    assert.match(text, /^batch: 300 ok, 0 failed of 300 inputs in [\d.]+ s \(concurrency 2\) → /m);
    assert.is(readFileSync(out, 'utf8').trim().split('\n').length, 300);
  });

  test('install of a project (built first) under a 0-column pty: bounded, installs', async () => {
    const project = join(work, 'sentiment-analyzer');
    cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (s) => !s.includes('/dist') });
    const dir = join(work, 'installed');
    const r = await underPty(['install', project, '--yes', '--dir', dir]);
    const text = bounded('install', r);
    assert.match(text, /^componentizing with quickjs: done /m);
    assert.match(text, /^running metadata and examples in a worker: done /m);
    assert.match(text, /^installed sentiment-analyzer 1\.0\.0 → /m);
    assert.ok(JSON.parse(readFileSync(join(dir, 'pocket-lock.json'), 'utf8')).plugins['sentiment-analyzer']);
  });

  test('a sane 80-column pty keeps the spinner; resized to 0 columns mid-step, it turns to plain lines', async () => {
    // The spinner draws for a second at 80 columns, then the terminal reports 0 (SIGWINCH).
    const r = await underPty(['validate', freshCopy('sentiment-resize')], { cols: 80, then: 'sleep 1; stty cols 0 rows 0' });
    const text = r.output.toString('utf8');
    const tail = text.slice(-600).replace(/\x1b/g, '\\e');
    assert.not.ok(r.timedOut, `did not finish: ${tail}`);
    assert.not.ok(r.overflowed, `unbounded output: ${tail}`);
    assert.is(r.code, 0, tail);
    assert.ok(r.output.length < MAX_BYTES, `${r.output.length} bytes`);
    assert.match(text, /\x1b\[\?25l/, 'the spinner was drawn while the terminal had 80 columns');
    assert.match(text, REDRAW, 'and redrawn in place');
    // Validate takes seconds: its last step starts after the resize, so it is a plain line.
    assert.match(text, /^running metadata and examples in a worker: done /m);
    assert.match(text, /^ok: sentiment-analyzer 1\.0\.0 is valid/m);
  });
}

test.run();
