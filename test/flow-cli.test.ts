/** `pocket-wit flow` through the real binary: run, --check, --json, --trace, batch, plugin search. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { built, ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-flowcli-');
const plugins = join(work, 'plugins');
const PIPELINE = join(ROOT, 'examples/workflows/review-pipeline.yaml');

test.before(async () => {
  mkdirSync(plugins);
  copyFileSync(await built('examples/sentiment-analyzer'), join(plugins, 'sentiment-analyzer.wasm'));
});

test('flow --json prints {output, store, path, action}', async () => {
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--input', '{"id":"r1","text":"Great boots, love them"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { output: unknown; store: Record<string, unknown>; path: string[]; action: string };
  assert.equal(Object.keys(body), ['output', 'store', 'path', 'action']);
  assert.equal(body.output, { sentiment: 'positive', score: 1, confidence: 1, reply: "Thank you! We're glad you enjoyed it (great,love)." });
  assert.equal(body.path, ['check-review', 'analyze', 'thank-customer', 'summarize']);
  assert.is(body.action, 'default');
  assert.equal(Object.keys(body.store).length, 1);
  assert.match(Object.keys(body.store)[0]!, /^sentiment:\d{4}-/);
});

test('flow finds plugin projects in --plugins directories and builds them', async () => {
  const r = await runCli(['flow', PIPELINE, '--plugins', join(ROOT, 'examples'), '--input', '{"id":"r2","text":"awful"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).path, ['check-review', 'analyze', 'escalate', 'summarize']);
});

test('POCKET_PLUGIN_PATH is searched too', async () => {
  const r = await runCli(['flow', PIPELINE, '--input', '{"id":"r3","text":"fine"}', '--json'], { env: { POCKET_PLUGIN_PATH: plugins, POCKET_HOME: work } });
  assert.is(r.code, 0, r.stderr);
});

test('without the plugin, the unknown node type names the plugins searched', async () => {
  const r = await runCli(['flow', PIPELINE, '--check'], { cwd: tempDir(), env: { POCKET_HOME: tempDir(), POCKET_PLUGIN_PATH: '' } });
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-workflow\]: .*review-pipeline\.yaml has 1 problem:/);
  assert.match(r.stderr, /review-pipeline\.yaml:\d+:\d+: error: config of node "analyze" \(flow\): in sentiment-subflow\.yaml: .*unknown node type "sentiment" .*not offered by any plugin searched: none loaded/);
});

test('the same plugin in two --plugins folders: the first found is used, and a note says which copy it shadows', async () => {
  const other = join(work, 'other');
  mkdirSync(other);
  // A build for another world version has another hash: a genuinely different component.
  copyFileSync(await built('examples/sentiment-analyzer', 'quickjs', '0.1.0'), join(other, 'copy.wasm'));
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--plugins', other, '--check']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: plugin sentiment-analyzer from .*plugins\/sentiment-analyzer\.wasm shadows sentiment-analyzer \(.*other\/copy\.wasm\); the first found on the plugin search path wins/);
  const swapped = await runCli(['flow', PIPELINE, '--plugins', other, '--plugins', plugins, '--check']);
  assert.is(swapped.code, 0, swapped.stderr);
  assert.match(swapped.stderr, /note: plugin sentiment-analyzer from .*other\/copy\.wasm shadows sentiment-analyzer \(.*plugins\/sentiment-analyzer\.wasm\)/);
});

test('a broken project in a default location (./plugins) is skipped with a warning; in --plugins it is an error', async () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'plugins', 'stray'), { recursive: true });
  writeFileSync(join(cwd, 'plugins', 'stray', 'manifest.yaml'), 'name: stray\nversion: 1.0.0\nbinary: plugin.wasm\n');
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--check'], { cwd, env: { POCKET_HOME: tempDir(), POCKET_PLUGIN_PATH: '' } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: skipped .*plugins\/stray: .*has no sources pocket-wit recognizes: src\/index\.ts/);
  const strict = await runCli(['flow', PIPELINE, '--plugins', join(cwd, 'plugins'), '--check'], { cwd: tempDir(), env: { POCKET_HOME: tempDir(), POCKET_PLUGIN_PATH: '' } });
  assert.is(strict.code, 1);
  assert.match(strict.stderr, /error\[not-found\]: .*has no sources pocket-wit recognizes: src\/index\.ts/);
});

test('--check validates only', async () => {
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--check']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ok: .*review-pipeline\.yaml is valid \(8 nodes, 11 connections, 0 warnings\)/);
  const j = await runCli(['flow', PIPELINE, '--plugins', plugins, '--check', '--json']);
  assert.equal(JSON.parse(j.stdout), { valid: true, warnings: [] });
});

test('an invalid workflow: exit 1, every problem with file:line:col, JSON with the problems', async () => {
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, 'name: bad\nstart: nope\nnodes:\n  - { name: a, type: echo, timeout: soon }\n');
  const r = await runCli(['flow', bad, '--plugins', plugins, '--json']);
  assert.is(r.code, 1);
  const err = JSON.parse(r.stdout).error as { code: string; details: { problems: { message: string; line: number }[] } };
  assert.is(err.code, 'invalid-workflow');
  assert.equal(err.details.problems.map((p) => p.line), [4]);
  assert.match(r.stderr, /bad\.yaml:4:\d+: error: nodes\.0\.timeout: "soon" is not a duration/);
});

test('a failing run keeps the store, the path and the trace', async () => {
  const trace = join(work, 'fail-trace.json');
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--input', '{"id":"r4"}', '--trace', trace, '--json']);
  assert.is(r.code, 1);
  const err = JSON.parse(r.stdout).error as { code: string; message: string; store: unknown; path: string[]; details: { node: string; phase: string } };
  assert.is(err.code, 'invalid-input');
  assert.equal(err.path, ['check-review']);
  assert.equal(err.store, {});
  assert.is(err.details.node, 'check-review');
  assert.is(err.details.phase, 'exec');
  assert.match(r.stderr, /^error\[invalid-input\]: node "check-review" \(validate, built-in\) failed in exec: input does not match the schema/m);
  const steps = JSON.parse(readFileSync(trace, 'utf8')) as { node: string; error?: { code: string } }[];
  assert.equal(steps.map((s) => [s.node, s.error?.code]), [['check-review', 'invalid-input']]);
});

test('--trace records every step of a successful run', async () => {
  const trace = join(work, 'trace.json');
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--input', '{"id":"r5","text":"good good good bad"}', '--trace', trace]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^output: \{/);
  assert.match(r.stdout, /\npath: check-review → analyze → thank-customer → summarize\n/);
  const steps = JSON.parse(readFileSync(trace, 'utf8')) as { step: number; node: string; type: string; action: string; durationMs: number; inputBytes: number; outputBytes: number; retries: number; phases: Record<string, number> }[];
  assert.equal(steps.map((s) => s.node), ['check-review', 'analyze/pick-text', 'analyze/sentiment', 'analyze', 'thank-customer', 'summarize']);
  const sentimentStep = steps[2]!;
  assert.is(sentimentStep.type, 'sentiment');
  assert.is(sentimentStep.action, 'high-positive');
  assert.is(sentimentStep.retries, 0);
  assert.ok(sentimentStep.inputBytes > 0 && sentimentStep.outputBytes > 0 && sentimentStep.durationMs > 0);
  assert.equal(Object.keys(sentimentStep.phases), ['prep', 'exec', 'post']);
});

test('batch: results in input order, a failing line recorded, the rest carried on', async () => {
  const reviews = JSON.parse(readFileSync(join(ROOT, 'examples/data/reviews.json'), 'utf8')) as unknown[];
  const lines = [...reviews.slice(0, 3).map((r) => JSON.stringify(r)), '{"id":"no-text"}', '', '{not json', ...reviews.slice(3).map((r) => JSON.stringify(r))];
  const input = join(work, 'batch.jsonl');
  const out = join(work, 'results.jsonl');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const r = await runCli(['flow', PIPELINE, '--plugins', plugins, '--batch', input, '--out', out, '--concurrency', '2']);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^batch: 8 ok, 2 failed of 10 inputs in [\d.]+ s \(concurrency 2\) → /);
  assert.match(r.stderr, /error\[invalid-input\]: 2 of 10 inputs failed; each failure is recorded in /);
  const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; ok: boolean; error?: { code: string; node?: string }; path?: string[] });
  assert.equal(results.map((x) => x.line), [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  assert.equal(results.map((x) => x.ok), [true, true, true, false, false, true, true, true, true, true]);
  assert.is(results[3]!.error!.code, 'invalid-input');
  assert.is(results[3]!.error!.node, 'check-review');
  assert.match(JSON.stringify(results[4]!.error), /line 6 is not valid JSON/);
  assert.equal(results[0]!.path, ['check-review', 'analyze', 'thank-customer', 'summarize']);
});

test('flow usage errors exit 2', async () => {
  for (const [args, re] of [
    [['flow', PIPELINE, '--batch', 'x.jsonl'], /--batch needs --out/],
    [['flow', PIPELINE, '--out', 'x.jsonl'], /--out goes with --batch/],
    [['flow', PIPELINE, '--concurrency', 'two', '--batch', 'a', '--out', 'b'], /--concurrency must be a whole number/],
    [['flow', PIPELINE, '--input', '{oops'], /--input is not valid JSON/],
  ] as [string[], RegExp][]) {
    const r = await runCli(args);
    assert.is(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const missing = await runCli(['flow', join(work, 'absent.yaml')]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\]: no workflow file at/);
});

test.run();
